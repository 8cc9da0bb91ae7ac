namespace UnimoG.Studio.Tests.Support;

/// <summary>
/// A fact that is skipped, saying which, when a program it drives is not installed (as in UnimoG.Hosting.Tests):
/// here Debian's <c>chromium</c> and <c>chromium-driver</c>, which <c>.ci/run</c> installs.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresToolFactAttribute : FactAttribute
{
    public RequiresToolFactAttribute(params string[] tools)
    {
        var missing = tools.Where(t => !File.Exists(t)).ToList();
        if (missing.Count > 0)
            Skip = $"Needs {string.Join(", ", missing)} (Debian packages chromium and chromium-driver; .ci/run installs them), not installed here.";
    }
}
