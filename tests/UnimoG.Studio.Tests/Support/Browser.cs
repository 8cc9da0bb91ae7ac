using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using Xunit.Abstractions;

namespace UnimoG.Studio.Tests.Support;

/// <summary>
/// Debian's headless Chromium driven by Debian's chromedriver (both paths given, so Selenium Manager never looks for
/// or downloads a browser or driver), with waits and screenshots saved as test output.
/// </summary>
public sealed class Browser : IDisposable
{
    public const string Chromium = "/usr/bin/chromium";
    public const string ChromeDriver = "/usr/bin/chromedriver";

    private readonly ITestOutputHelper _output;
    private readonly string _profile = Directory.CreateTempSubdirectory("unimog-studio-chromium-").FullName;

    public Browser(ITestOutputHelper output, int width = 1280, int height = 1000)
    {
        _output = output;
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
            "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-sync",
            $"--user-data-dir={_profile}", $"--window-size={width},{height}", "--force-device-scale-factor=1");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromeDriver)!, Path.GetFileName(ChromeDriver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        Driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(90));
        Driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(30);
    }

    public ChromeDriver Driver { get; }

    /// <summary>Where screenshots go: the test's output folder (or UNIMOG_STUDIO_SCREENSHOTS).</summary>
    public static string ScreenshotFolder { get; } =
        Environment.GetEnvironmentVariable("UNIMOG_STUDIO_SCREENSHOTS") is { Length: > 0 } dir
            ? dir
            : Path.Combine(AppContext.BaseDirectory, "studio-screenshots");

    public IWebElement ById(string id) => Driver.FindElement(By.Id(id));

    public IWebElement ByTestId(string id) => Driver.FindElement(By.CssSelector($"[data-testid='{id}']"));

    public IReadOnlyCollection<IWebElement> AllByTestId(string id) => Driver.FindElements(By.CssSelector($"[data-testid='{id}']"));

    public object? Script(string script, params object[] args) => Driver.ExecuteScript(script, args);

    /// <summary>Waits until <paramref name="condition"/> holds; fails with <paramref name="what"/> and the page's status line.</summary>
    public T Until<T>(Func<T> condition, string what, double seconds = 60)
    {
        var wait = new WebDriverWait(Driver, TimeSpan.FromSeconds(seconds)) { PollingInterval = TimeSpan.FromMilliseconds(25) };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        try
        {
            return wait.Until(_ => condition());
        }
        catch (WebDriverTimeoutException)
        {
            Screenshot($"timeout-{DateTime.UtcNow:HHmmssfff}");
            throw new Xunit.Sdk.XunitException(
                $"Waited {seconds} s for {what}. The page says: status '{Text("status")}', general error '{Text("error-general")}', prompt error '{Text("prompt-error")}', prompt '{Text("prompt")}'.");
        }
    }

    public string Text(string testId)
    {
        try { return ByTestId(testId).Text; }
        catch (WebDriverException) { return "(none)"; }
    }

    public string Screenshot(string name)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        var path = Path.Combine(ScreenshotFolder, $"{name}.png");
        Driver.GetScreenshot().SaveAsFile(path);
        _output.WriteLine($"screenshot: {path}");
        return path;
    }

    public void Dispose()
    {
        try { Driver.Quit(); } catch (WebDriverException) { }
        Driver.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
