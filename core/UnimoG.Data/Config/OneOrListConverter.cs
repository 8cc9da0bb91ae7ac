using System.Text.Json;
using System.Text.Json.Serialization;

namespace UnimoG.Data.Config;

/// <summary>Reads a JSON array as the list, anything else as the one value.</summary>
internal sealed class OneOrListConverter : JsonConverterFactory
{
    public override bool CanConvert(Type t) => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(OneOrList<>);

    public override JsonConverter CreateConverter(Type t, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(t.GetGenericArguments()[0]))!;

    private sealed class Converter<T> : JsonConverter<OneOrList<T>>
    {
        public override OneOrList<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            // A nested read reports its path from its own root ($[1]): wrapping it lets ConfigJson name the element.
            try
            {
                if (reader.TokenType != JsonTokenType.StartArray)
                    return new OneOrList<T>(JsonSerializer.Deserialize<T>(ref reader, options) ?? throw new JsonException());
                var items = JsonSerializer.Deserialize<List<T>>(ref reader, options)!;
                return items.Any(i => i is null) ? throw new JsonException() : new OneOrList<T>(items);
            }
            catch (JsonException e)
            {
                throw new JsonException(null, e);
            }
        }

        public override void Write(Utf8JsonWriter writer, OneOrList<T> value, JsonSerializerOptions options)
        {
            if (value.Items is { } items) JsonSerializer.Serialize(writer, items, options);
            else JsonSerializer.Serialize(writer, value.At(0), options);
        }
    }
}
