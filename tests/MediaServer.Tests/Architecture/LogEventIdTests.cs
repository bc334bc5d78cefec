using System.Reflection;
using Microsoft.Extensions.Logging;

namespace MediaServer.Tests.Architecture;

/// <summary>An event id names one kind of line: operators filter and alert on them, so no two log messages share one.</summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void Every_log_message_of_the_server_has_an_event_id_of_its_own()
    {
        // 1. Every [LoggerMessage] method of the server and its codecs, with the id it declares.
        var flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        var messages = new List<(int Id, string Method)>();
        foreach (var assembly in new[] { typeof(MediaServer.Program).Assembly, typeof(MediaServer.Codecs.Rtp.RtpPacket).Assembly })
        {
            foreach (var type in assembly.GetTypes())
            {
                foreach (var method in type.GetMethods(flags))
                {
                    if (method.GetCustomAttribute<LoggerMessageAttribute>() is { } attribute)
                    {
                        messages.Add((attribute.EventId, $"{type.FullName}.{method.Name}"));
                    }
                }
            }
        }
        Assert.True(messages.Count > 50, $"only {messages.Count} log messages found: the scan is not reading the server");

        // 2. Ids used by more than one of them.
        var shared = messages.GroupBy(m => m.Id).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method))}").ToList();
        Assert.True(shared.Count == 0, "event ids used twice:\n" + string.Join("\n", shared));
    }
}
