using System.Globalization;
using OpenQA.Selenium;
using UnimoG.Studio.Tests.Support;
using UnimoG.TestSupport;
using Xunit.Abstractions;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.Studio.Tests;

/// <summary>
/// The studio page in headless Chromium against <c>serve --role all</c> on loopback (issue 19): a multimodal prompt
/// with two uploaded images, live previews, the final image, a cancelled run that the server stops, and the gateway's
/// error beside the prompt. Screenshots go to the test output (their paths are printed).
/// </summary>
public sealed class StudioBrowserTests(StudioHost host, ITestOutputHelper output) : IClassFixture<StudioHost>
{
    /// <summary>The cancelled run's steps: the gateway's most (Generation:MaxSteps), far more than it runs before the cancel.</summary>
    private const int LongRun = 200;

    private static string Example(string name) => Path.Combine(RepoPaths.Root, "models", "examples", name);

    [RequiresToolFact(Browser.Chromium, Browser.ChromeDriver)]
    public async Task Generates_with_live_previews_cancels_and_shows_errors_beside_the_prompt()
    {
        await PageIsServed();
        using var browser = new Browser(output);
        Open(browser);
        TypeThePromptAndAttachTwoImages(browser);
        GenerateWatchingThePreview(browser);
        await CancelASecondRunMidway(browser);
        ShowTheGatewaysErrorBesideThePrompt(browser);
    }

    /// <summary>Typed placeholders become chips, tied to slots that do not exist yet; then the two bundled example images.</summary>
    private static void TypeThePromptAndAttachTwoImages(Browser browser)
    {
        var prompt = browser.ByTestId("prompt");
        prompt.Click();
        prompt.SendKeys("<img1> wearing <img2>");
        browser.Until(() => browser.AllByTestId("chip-2").Count == 1, "the typed <img2> to become a chip");
        Assert.Contains("missing", browser.ByTestId("chip-1").GetAttribute("class"));

        // Through the file input; each is uploaded once (PutImage) and then known by its hash.
        browser.ByTestId("file-input").SendKeys(Example("woman.png") + "\n" + Example("top-hat.png"));
        browser.Until(() => browser.Text("slot-1-state") == "uploaded" && browser.Text("slot-2-state") == "uploaded", "both images to upload");
        Assert.DoesNotContain("missing", browser.ByTestId("chip-1").GetAttribute("class"));
        Assert.Equal("<img1> wearing <img2>", PromptText(browser));
    }

    /// <summary>At least three different previews (linear, and exact every 5 steps) before the final image, which lands in the gallery.</summary>
    private void GenerateWatchingThePreview(Browser browser)
    {
        SetNumber(browser, "steps", 12);
        SetNumber(browser, "exact-every", 5);
        WatchPreview(browser);
        browser.ByTestId("generate").Click();
        browser.Until(() => browser.AllByTestId("result").Count == 1, "the final image in the gallery", seconds: 180);
        browser.Until(() => browser.Text("status") == "done", "the run to finish");
        var final = (string)browser.Script("return document.getElementById('preview').getAttribute('src')")!;
        var frames = Strings(browser.Script("return window.__previewFrames"));
        var kinds = Strings(browser.Script("return window.__previewKinds.concat([document.getElementById('preview').dataset.kind || ''])"));
        var distinct = frames.Where(f => f.StartsWith("data:image/png;base64,", StringComparison.Ordinal) && f != final).Distinct().Count();
        output.WriteLine($"{frames.Count} preview frames seen, {distinct} different, kinds: {string.Join(",", kinds.Distinct())}");
        Assert.True(distinct >= 3, $"expected at least three different preview frames before the final image, saw {distinct} of {frames.Count}");
        Assert.Contains("exact", kinds);   // the VAE-decoded preview every 5 steps among the linear ones
        Assert.Contains("linear", kinds);
        var result = browser.AllByTestId("result").Single();
        Assert.Equal(browser.ByTestId("seed").GetAttribute("value"), result.GetAttribute("data-seed"));   // the seed used, from GenerateAccepted
        Assert.Contains("12", result.Text);
        Assert.NotNull(result.FindElement(By.CssSelector("[data-testid='download']")).GetAttribute("download"));
        browser.Screenshot("studio-final");

        // "Re-run with this seed" gives the same picture (the same request, seed fixed: the same PNG bytes).
        result.FindElement(By.CssSelector("[data-testid='rerun']")).Click();
        browser.Until(() => browser.AllByTestId("result").Count == 2 && browser.Text("status") == "done", "the re-run's image");
        var same = browser.Driver.ExecuteAsyncScript("""
            const done = arguments[arguments.length - 1];
            const [a, b] = [...document.querySelectorAll("[data-testid='result'] img")].map(img => img.src);
            Promise.all([a, b].map(u => fetch(u).then(r => r.arrayBuffer()).then(x => [...new Uint8Array(x)].join(','))))
              .then(([x, y]) => done(x === y), e => done(String(e)));
            """);
        Assert.Equal(true, same);
        Assert.False(browser.ByTestId("seed-random").Selected);   // the re-run fixed the seed
        var seeds = browser.AllByTestId("result").Select(r => r.GetAttribute("data-seed")).Distinct();
        Assert.Single(seeds);
    }

    /// <summary>A long run cancelled mid-way: the page says so, and the server stops denoising it.</summary>
    private async Task CancelASecondRunMidway(Browser browser)
    {
        SetNumber(browser, "steps", LongRun);
        var stepsBefore = host.DenoiseSteps;
        browser.ByTestId("generate").Click();
        browser.Until(() => Progress(browser) >= LongRun / 4 && host.Batcher.ActiveCount == 1, "the long run to be a quarter done");
        browser.Script("window.scrollTo(0, 0)");
        browser.Screenshot("studio-in-progress");   // docs/images/studio.png is one of these
        browser.ByTestId("cancel").Click();
        browser.Until(() => browser.Text("status") == "cancelled", "the page to show the run cancelled", seconds: 20);
        browser.Until(() => host.Batcher.ActiveCount == 0 && host.Batcher.PendingCount == 0, "the server's batcher to drop the cancelled request", seconds: 20);
        Assert.True(Progress(browser) < LongRun, $"the page showed step {Progress(browser)} of {LongRun}: the run was not cancelled mid-way");
        // The server ran fewer steps than asked, and runs no more: it stopped the work, not just the page its stream.
        var ran = host.DenoiseSteps - stepsBefore;
        await Task.Delay(500);
        Assert.Equal(ran, host.DenoiseSteps - stepsBefore);
        output.WriteLine($"cancelled: the server ran {ran} of {LongRun} denoising steps");
        Assert.InRange(ran, LongRun / 4, LongRun - 1);
        Assert.Equal(2, browser.AllByTestId("result").Count);   // no image from the cancelled run
        browser.Screenshot("studio-cancelled");
    }

    /// <summary><c>&lt;img3&gt;</c> with two images: the gateway's InvalidArgument ("prompt.text ...") beside the prompt, not in the general area.</summary>
    private void ShowTheGatewaysErrorBesideThePrompt(Browser browser)
    {
        SetNumber(browser, "steps", 4);
        var prompt = browser.ByTestId("prompt");
        prompt.Click();
        prompt.SendKeys(Keys.Control + "a" + Keys.Control + Keys.Backspace);
        prompt.SendKeys("<img1> wearing <img2> and <img3>");
        browser.Until(() => browser.AllByTestId("chip-3").Count == 1, "the typed <img3> to become a chip");
        Assert.Equal("<img1> wearing <img2> and <img3>", PromptText(browser));
        browser.ByTestId("generate").Click();
        var error = browser.Until(() => browser.Text("prompt-error") is { Length: > 0 } e ? e : null, "the prompt's error");
        output.WriteLine($"prompt error: {error}");
        Assert.StartsWith("prompt.text", error, StringComparison.Ordinal);
        Assert.Contains("<img3>", error, StringComparison.Ordinal);
        Assert.Equal("true", browser.ByTestId("prompt").GetAttribute("aria-invalid"));
        Assert.Equal("", browser.Text("error-general"));
        Assert.Contains("missing", browser.ByTestId("chip-3").GetAttribute("class"));
        browser.Screenshot("studio-prompt-error");
    }

    [RequiresToolFact(Browser.Chromium, Browser.ChromeDriver)]
    public async Task Shows_the_queue_position_while_another_request_is_denoised()
    {
        await PageIsServed();
        using var browser = new Browser(output);
        Open(browser);
        // Another caller's long request holds the one batch slot (Denoiser:MaxBatchImages=1).
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(host.GrpcUrl);
        using var other = new CancellationTokenSource();
        using var call = new V1.Gateway.GatewayClient(channel).Generate(
            new V1.GenerateRequest { Prompt = new V1.Prompt { Text = "a top hat" }, Steps = LongRun, Seed = 1 }, cancellationToken: other.Token);
        while (await call.ResponseStream.MoveNext(other.Token) && call.ResponseStream.Current.Progress is null) { }

        var prompt = browser.ByTestId("prompt");
        prompt.Click();
        prompt.SendKeys("a dog");
        SetNumber(browser, "steps", 4);
        browser.ByTestId("generate").Click();
        var queued = browser.Until(() => browser.ByTestId("queue") is { Displayed: true } q ? q.Text : null, "the page to show its queue position");
        output.WriteLine($"queue line: {queued}");
        Assert.Equal("queued: next to start (1 running)", queued);
        Assert.Equal("queued", browser.ByTestId("status").GetAttribute("data-state"));
        browser.Screenshot("studio-queued");

        await other.CancelAsync();   // the slot frees: the page's request runs
        browser.Until(() => browser.AllByTestId("result").Count == 1 && browser.Text("status") == "done", "the queued run's image");
        Assert.False(browser.ByTestId("queue").Displayed);
    }

    [RequiresToolFact(Browser.Chromium, Browser.ChromeDriver)]
    public async Task Works_on_a_narrow_screen_with_every_control_labelled()
    {
        await PageIsServed();
        using var browser = new Browser(output, width: 400, height: 900);
        Open(browser);
        var layout = (IReadOnlyDictionary<string, object>)browser.Script("""
            const form = document.getElementById('form').getBoundingClientRect();
            const out = document.querySelector('.output').getBoundingClientRect();
            return { formBottom: form.bottom, outputTop: out.top, scrollWidth: document.documentElement.scrollWidth, width: innerWidth };
            """)!;
        double N(string k) => Convert.ToDouble(layout[k], CultureInfo.InvariantCulture);
        output.WriteLine($"viewport {N("width")} px wide");
        Assert.True(N("width") < 700, $"the narrow window is {N("width")} px wide");
        Assert.True(N("formBottom") <= N("outputTop"), "below 700 px the settings stand above the output (one column)");
        Assert.True(N("scrollWidth") <= N("width"), $"no sideways scrolling at {N("width")} px (page is {N("scrollWidth")} px wide)");
        var unlabelled = Strings(browser.Script("""
            return [...document.querySelectorAll('input, select, textarea, [contenteditable="true"]')]
              .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
              .map(el => el.id || el.outerHTML.slice(0, 60));
            """));
        Assert.Empty(unlabelled);
        browser.Screenshot("studio-narrow");
    }

    /// <summary>The studio's endpoint answers with the page (served by hosts/UnimoG.Studio from its embedded wwwroot).</summary>
    private async Task PageIsServed()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        string page;
        try
        {
            page = await http.GetStringAsync(host.StudioUrl);
        }
        catch (HttpRequestException e)
        {
            throw new Xunit.Sdk.XunitException(
                $"serve --role all did not serve the studio at {host.StudioUrl} (Studio:Url): {e.Message}. The page's server side is hosts/UnimoG.Studio (issue 19's backend).");
        }
        Assert.Contains("UNIMO-G Studio", page, StringComparison.Ordinal);
    }

    private void Open(Browser browser)
    {
        browser.Driver.Navigate().GoToUrl(host.StudioUrl);
        browser.Until(() => browser.Driver.FindElements(By.CssSelector("#sampler option")).Count > 0, "Describe to fill the samplers");
        Assert.Equal("", browser.Text("error-general"));
        Assert.NotEqual("", browser.ByTestId("steps").GetAttribute("value"));
    }

    /// <summary>The prompt as its DOM reads: text, each chip as its placeholder (the page's caret stops, U+200B, dropped).</summary>
    private static string PromptText(Browser browser) =>
        (string)browser.Script("""
            const walk = n => [...n.childNodes].map(c => c.nodeType === 3 ? c.data : c.classList?.contains('chip') ? `<img${c.dataset.slot}>` : walk(c)).join('');
            return walk(document.getElementById('prompt')).replaceAll('\u200b', '').replace(/\s+/g, ' ').trim();
            """)!;

    private static void SetNumber(Browser browser, string testId, int value)
    {
        var input = browser.ByTestId(testId);
        input.Clear();
        input.SendKeys(value.ToString(CultureInfo.InvariantCulture));
    }

    private static int Progress(Browser browser) =>
        Convert.ToInt32(browser.Script("return document.getElementById('progress').value"), CultureInfo.InvariantCulture);

    /// <summary>Records every picture the preview shows (each change's old value) and the kind of each preview.</summary>
    private static void WatchPreview(Browser browser) => browser.Script("""
        window.__previewFrames = []; window.__previewKinds = [];
        const preview = document.getElementById('preview');
        new MutationObserver(records => {
          for (const r of records) {
            if (r.attributeName === 'src' && r.oldValue) window.__previewFrames.push(r.oldValue);
            if (r.attributeName === 'data-kind' && r.oldValue) window.__previewKinds.push(r.oldValue);
          }
        }).observe(preview, { attributes: true, attributeFilter: ['src', 'data-kind'], attributeOldValue: true });
        """);

    private static List<string> Strings(object? value) =>
        value is IEnumerable<object> items ? items.Select(i => i?.ToString() ?? "").ToList() : [];
}
