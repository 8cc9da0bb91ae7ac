using System.Text.Json;
using System.Text.Json.Serialization;

namespace UnimoG.Data.Config;

/// <summary>Reads a JSON string as the path of the config's file, an object as the config itself.</summary>
internal sealed class InlineOrFileConverter : JsonConverterFactory
{
    public override bool CanConvert(Type t) => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(InlineOrFile<>);

    public override JsonConverter CreateConverter(Type t, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(t.GetGenericArguments()[0]))!;

    private sealed class Converter<T> : JsonConverter<InlineOrFile<T>> where T : class
    {
        public override InlineOrFile<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.String) return new InlineOrFile<T> { Path = reader.GetString() };
            if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException();
            try
            {
                return new InlineOrFile<T> { Value = JsonSerializer.Deserialize<T>(ref reader, options)! };
            }
            catch (JsonException e)
            {
                throw new JsonException(null, e);   // see OneOrListConverter: keeps the inner key's path
            }
        }

        public override void Write(Utf8JsonWriter writer, InlineOrFile<T> value, JsonSerializerOptions options)
        {
            if (value.IsLoaded) JsonSerializer.Serialize(writer, value.Value, options);
            else writer.WriteStringValue(value.Path);
        }
    }
}
