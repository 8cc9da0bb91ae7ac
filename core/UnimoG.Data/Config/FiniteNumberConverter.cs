using System.Text.Json;
using System.Text.Json.Serialization;

namespace UnimoG.Data.Config;

/// <summary>
/// Config numbers are finite: JSON's <c>1e400</c> reads as infinity in .NET, which System.Text.Json then refuses to
/// write (a checkpoint's config hash, <c>models info</c>), so it is refused on reading, naming the key.
/// </summary>
internal sealed class FiniteNumberConverter<T> : JsonConverter<T> where T : struct, System.Numerics.IFloatingPoint<T>
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number) throw new JsonException();
        var value = typeof(T) == typeof(float) ? (T)(object)reader.GetSingle() : (T)(object)reader.GetDouble();
        return T.IsFinite(value) ? value : throw new JsonException();
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        if (value is float f) writer.WriteNumberValue(f);
        else writer.WriteNumberValue((double)(object)value);
    }
}
