using System.Globalization;
using System.Text;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace UnimoG.Hosting.Logging;

/// <summary>
/// The text console format with every string property escaped: a newline, a carriage return or any other control
/// character in user text (a prompt, a model name) is written as <c>\n</c>, <c>\r</c> or <c>\uXXXX</c>, so no request
/// can forge a log line or send terminal escapes. The template's own newline and exception stack traces are kept.
/// JSON output needs none of this: its encoder escapes control characters itself.
/// </summary>
internal sealed class EscapingTextFormatter(string template, IFormatProvider formatProvider) : ITextFormatter
{
    private readonly MessageTemplateTextFormatter _inner = new(template, formatProvider);

    public void Format(LogEvent logEvent, TextWriter output)
    {
        var properties = logEvent.Properties.Select(p => new LogEventProperty(p.Key, Escape(p.Value)));
        _inner.Format(new LogEvent(logEvent.Timestamp, logEvent.Level, logEvent.Exception, logEvent.MessageTemplate, properties), output);
    }

    private static LogEventPropertyValue Escape(LogEventPropertyValue value) => value switch
    {
        ScalarValue { Value: string s } when s.Any(NeedsEscape) => new ScalarValue(Escape(s)),
        SequenceValue q => new SequenceValue(q.Elements.Select(Escape)),
        StructureValue st => new StructureValue(st.Properties.Select(p => new LogEventProperty(p.Name, Escape(p.Value))), st.TypeTag),
        DictionaryValue d => new DictionaryValue(d.Elements.Select(kv => KeyValuePair.Create(kv.Key, Escape(kv.Value)))),
        _ => value,
    };

    // C0 and C1 controls, DEL, and the Unicode line and paragraph separators (terminals and log viewers break lines on them).
    private static bool NeedsEscape(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';

    internal static string Escape(string s)
    {
        var sb = new StringBuilder(s.Length + 8);
        foreach (var c in s)
            sb.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when NeedsEscape(c) => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        return sb.ToString();
    }
}
