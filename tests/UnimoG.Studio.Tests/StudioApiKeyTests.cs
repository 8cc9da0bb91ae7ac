using OpenQA.Selenium;
using UnimoG.Studio.Tests.Support;
using UnimoG.TestSupport;
using Xunit.Abstractions;

namespace UnimoG.Studio.Tests;

/// <summary>A gateway that wants an API key: the page asks for one when a call fails UNAUTHENTICATED, and sends it as x-api-key.</summary>
public sealed class StudioApiKeyTests(KeyedStudioHost host, ITestOutputHelper output) : IClassFixture<KeyedStudioHost>
{
    [RequiresToolFact(Browser.Chromium, Browser.ChromeDriver)]
    public void Asks_for_the_key_then_uploads_and_generates_with_it()
    {
        using var browser = new Browser(output);
        browser.Driver.Navigate().GoToUrl(host.StudioUrl);
        browser.Until(() => browser.ByTestId("api-key").Displayed, "the API key field after Describe fails");
        Assert.Contains("needs an API key", browser.Text("auth-reason"), StringComparison.Ordinal);
        Assert.Contains("Unauthenticated", browser.Text("error-general"), StringComparison.Ordinal);
        browser.Screenshot("studio-api-key");

        browser.ByTestId("api-key").SendKeys("not-the-key");
        browser.ByTestId("api-key-use").Click();
        browser.Until(() => browser.Text("auth-reason").Contains("not recognised", StringComparison.Ordinal), "the gateway to refuse a wrong key");

        var key = browser.ByTestId("api-key");
        key.Clear();
        key.SendKeys(KeyedStudioHost.Key);
        browser.ByTestId("api-key-use").Click();
        browser.Until(() => browser.Driver.FindElements(By.CssSelector("#sampler option")).Count > 0, "Describe with the key");
        Assert.Equal("Connected with this key.", browser.Text("auth-reason"));
        Assert.Equal("", browser.Text("error-general"));

        var prompt = browser.ByTestId("prompt");
        prompt.Click();
        prompt.SendKeys("<img1> in the snow");
        browser.ByTestId("file-input").SendKeys(Path.Combine(RepoPaths.Root, "models", "examples", "dog.png"));
        browser.Until(() => browser.Text("slot-1-state") == "uploaded", "PutImage with the key");
        var steps = browser.ByTestId("steps");
        steps.Clear();
        steps.SendKeys("3");
        browser.ByTestId("generate").Click();
        browser.Until(() => browser.AllByTestId("result").Count == 1 && browser.Text("status") == "done", "an image generated with the key");
    }
}
