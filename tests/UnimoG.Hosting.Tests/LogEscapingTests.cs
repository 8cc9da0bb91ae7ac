using System.Globalization;
using Serilog.Events;
using Serilog.Parsing;
using UnimoG.Hosting.Logging;

namespace UnimoG.Hosting.Tests;

/// <summary>User text in the text console log cannot forge lines or send terminal escapes (issue 16, item 8).</summary>
public sealed class LogEscapingTests
{
    private static string Render(string template, params (string Name, object Value)[] properties)
    {
        var parsed = new MessageTemplateParser().Parse(template);
        var props = properties.Select(p => new LogEventProperty(p.Name, new ScalarValue(p.Value)))
            .Append(new LogEventProperty("Service", new ScalarValue("unimog")));
        var e = new LogEvent(DateTimeOffset.Parse("2026-12-07T13:58:26Z", CultureInfo.InvariantCulture), LogEventLevel.Information, null, parsed, props);
        using var writer = new StringWriter();
        new EscapingTextFormatter(LoggingSetup.TextTemplate, CultureInfo.InvariantCulture).Format(e, writer);
        return writer.ToString();
    }

    [Fact]
    public void A_prompt_with_a_forged_line_and_control_characters_stays_on_one_line()
    {
        var prompt = "a cat\"\n[13:58:26.013 ERR] unimog FORGED LINE\r\u0000\u0007\u001b[31mred\u2028end";
        var line = Render("Encoding {Prompt}", ("Prompt", prompt));
        Assert.EndsWith(Environment.NewLine, line);
        var body = line[..^Environment.NewLine.Length];
        Assert.DoesNotContain('\n', body);
        Assert.DoesNotContain(body, char.IsControl);
        Assert.DoesNotContain('\u2028', body);
        Assert.Contains(@"a cat""\n[13:58:26.013 ERR] unimog FORGED LINE\r\u0000\u0007\u001b[31mred\u2028end", body);
    }

    [Fact]
    public void Plain_text_and_non_string_values_are_written_unchanged()
    {
        var line = Render("Encoded {Prompt} in {Ms} ms", ("Prompt", "猫 wearing a hat, tab-free"), ("Ms", 12));
        Assert.Contains("Encoded 猫 wearing a hat, tab-free in 12 ms", line);
    }

    [Theory]
    [InlineData("\t", @"\t")]
    [InlineData("\u007f", @"\u007f")]
    [InlineData("\u0085", @"\u0085")]
    [InlineData("\u2029", @"\u2029")]
    public void Each_control_character_has_a_visible_escape(string raw, string escaped) =>
        Assert.Equal("x" + escaped + "y", EscapingTextFormatter.Escape("x" + raw + "y"));
}
