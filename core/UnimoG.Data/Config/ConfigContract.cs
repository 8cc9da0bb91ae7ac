using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace UnimoG.Data.Config;

/// <summary>
/// How a config record maps to JSON (a System.Text.Json contract modifier), the same for every record:
/// <list type="bullet">
/// <item>its keys are exactly the properties with <c>[JsonPropertyName]</c> (plus a <c>[JsonExtensionData]</c> one, if
/// any); a settable property without one must say <c>[JsonIgnore]</c>, so none is left out by mistake;</item>
/// <item>null for a property whose type cannot be null means "not given": the default stays (diffusers and
/// transformers treat None so for these keys, and older diffusers wrote <c>"upcast_attention": null</c>);</item>
/// <item>keys are written sorted, as diffusers' and transformers' <c>save_config</c> write them.</item>
/// </list>
/// </summary>
internal static class ConfigContract
{
    public static void Apply(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object) return;
        var keys = new List<JsonPropertyInfo>();
        foreach (var p in info.Properties)
        {
            if (p.IsExtensionData)
            {
                keys.Add(p);
                continue;
            }
            var member = p.AttributeProvider as PropertyInfo;
            if (member?.IsDefined(typeof(JsonPropertyNameAttribute), inherit: true) == true) keys.Add(NullKeepsDefault(info, p, member));
            else if (p.Set is not null)
                throw new InvalidOperationException($"{info.Type.Name}.{member?.Name ?? p.Name}: a settable config property needs [JsonPropertyName] (a key) or [JsonIgnore]");
        }
        info.Properties.Clear();
        foreach (var p in keys.OrderBy(p => p.Name, StringComparer.Ordinal)) info.Properties.Add(p);
    }

    private static JsonPropertyInfo NullKeepsDefault(JsonTypeInfo info, JsonPropertyInfo p, PropertyInfo member)
    {
        if (p.Set is not { } set) return p;
        if (p.PropertyType.IsValueType)
        {
            if (Nullable.GetUnderlyingType(p.PropertyType) is not null) return p;
            if (p.CustomConverter is not null) throw new InvalidOperationException($"{info.Type.Name}.{member.Name}: [JsonConverter] on a value-type config property is not supported");
            // Read it as T? so that null reaches the setter, which then keeps the default.
            var nullable = info.CreateJsonPropertyInfo(typeof(Nullable<>).MakeGenericType(p.PropertyType), p.Name);
            nullable.AttributeProvider = p.AttributeProvider;
            nullable.IsRequired = p.IsRequired;
            nullable.Get = p.Get;
            nullable.Set = (o, v) => { if (v is not null) set(o, v); };
            return nullable;
        }
        var nullability = new NullabilityInfoContext().Create(member);
        if (NonNullElements(p.PropertyType, nullability))
        {
            // [null, {...}] for a list of records would surface later as a NullReferenceException in a check.
            var inner = set;
            set = (o, v) => inner(o, v is System.Collections.IEnumerable items && items.Cast<object?>().Any(i => i is null) ? throw new JsonException() : v);
            p.Set = set;
        }
        if (nullability.WriteState == NullabilityState.NotNull)
            p.Set = (o, v) => { if (v is not null) set(o, v); };
        return p;
    }

    /// <summary>A list (not a string or dictionary) whose element type is a reference type declared non-nullable.</summary>
    private static bool NonNullElements(Type type, NullabilityInfo nullability)
    {
        if (type == typeof(string) || !typeof(System.Collections.IEnumerable).IsAssignableFrom(type)) return false;
        var element = nullability.ElementType ?? (nullability.GenericTypeArguments is [var only] ? only : null);
        return element is { ReadState: NullabilityState.NotNull } && !element.Type.IsValueType;
    }
}
