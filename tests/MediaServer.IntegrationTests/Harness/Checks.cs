using Xunit.Sdk;

namespace MediaServer.IntegrationTests.Harness;

/// <summary>
/// Runs several independent assertions and reports every one that failed, so one run of an end-to-end test shows
/// all the slots that went wrong rather than only the first.
/// </summary>
public static class Checks
{
    public static void All(params (string Name, Action Check)[] checks)
    {
        var failures = new List<string>();
        foreach (var (name, check) in checks)
        {
            try
            {
                check();
            }
            catch (XunitException e)
            {
                failures.Add($"[{name}] {e.Message}");
            }
        }

        if (failures.Count > 0)
        {
            throw new XunitException($"{failures.Count} of {checks.Length} checks failed:\n" + string.Join("\n\n", failures));
        }
    }
}
