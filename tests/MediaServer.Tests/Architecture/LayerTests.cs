using Xunit.Abstractions;

namespace MediaServer.Tests.Architecture;

/// <summary>
/// The layers hold in the compiled server: no top-level namespace references one the table in <see cref="LayerRules"/>
/// (and docs/architecture.md) does not allow, and no two of them reference each other, directly or round a loop.
/// </summary>
public sealed class LayerTests(ITestOutputHelper output)
{
    private static readonly Lazy<IReadOnlyList<(string From, string To)>> Server =
        new(() => TypeArrows.Read(typeof(MediaServer.Program).Assembly.Location));

    [Fact]
    public void No_namespace_references_one_below_it_may_not()
    {
        var violations = LayerRules.Violations(Server.Value);
        foreach (var line in violations)
        {
            output.WriteLine(line);
        }
        Assert.True(violations.Count == 0,
            $"{violations.Count} references break the layers (docs/architecture.md, \"Layers\"):\n" + string.Join("\n", violations));
    }

    [Fact]
    public void No_cycle_between_top_level_namespaces()
    {
        var cycles = LayerRules.Cycles(Server.Value);
        foreach (var line in cycles)
        {
            output.WriteLine(line);
        }
        Assert.True(cycles.Count == 0, "Top-level namespaces reference each other round a loop:\n" + string.Join("\n", cycles));
    }

    [Fact]
    public void The_reader_sees_references_in_signatures_bases_and_method_bodies()
    {
        var arrows = Server.Value;
        // A call in a method body.
        Assert.Contains(("MediaServer.Program", "MediaServer.Hosting.ServerHost"), arrows);
        // A call made only inside a lambda (its closure class counts as the type whose method made it).
        Assert.Contains(("MediaServer.Api.ApiPipeline", "MediaServer.Api.ApiResults"), arrows);
        // A call made only inside an async method (its state machine counts as the method's type).
        Assert.Contains(("MediaServer.Api.LegEndpoints", "MediaServer.Api.SdpExchange"), arrows);
        // Base types and interfaces.
        Assert.Contains(("MediaServer.Api.AuditingAuthorizationResultHandler", "Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler"), arrows);
        Assert.Contains(("MediaServer.Storage.AuditLog", "MediaServer.Visits.IAuditLog"), arrows);
        // Parameters of a method's signature.
        Assert.Contains(("MediaServer.Auth.TokenIssuer", "MediaServer.Auth.SigningKeys"), arrows);
        // Generic arguments: IOptions<LimitOptions> in a handler's parameters.
        Assert.Contains(arrows, a => a.From == "MediaServer.Api.ConsoleEndpoints" && a.To.EndsWith(".LimitOptions", StringComparison.Ordinal));
    }

    [Fact]
    public void An_upward_arrow_is_a_violation_and_a_loop_is_a_cycle()
    {
        (string, string)[] arrows =
        [
            ("MediaServer.Transport.PlainRtpEndpoint", "MediaServer.Routing.Track"),
            ("MediaServer.Routing.Track", "MediaServer.Transport.PlainRtpEndpoint"),
            ("MediaServer.Api.VisitEndpoints", "MediaServer.Storage.AuditLog"),
            ("MediaServer.Api.VisitEndpoints", "MediaServer.Visits.Visit"),
            ("MediaServer.Auth.TokenIssuer", "MediaServer.Hosting.MediaServerOptions"),
            ("MediaServer.Hosting.ServerHost", "MediaServer.Storage.AuditLog"),
            ("MediaServer.Newcomer.Thing", "MediaServer.Metrics.RelayMetrics"),
            ("MediaServer.Api.VisitEndpoints", "System.String"),
        ];
        Assert.Equal(
            [
                "MediaServer.Api.VisitEndpoints -> MediaServer.Storage.AuditLog",
                "MediaServer.Auth.TokenIssuer -> MediaServer.Hosting.MediaServerOptions",
                "MediaServer.Newcomer.Thing -> MediaServer.Metrics.RelayMetrics",
                "MediaServer.Transport.PlainRtpEndpoint -> MediaServer.Routing.Track",
            ],
            LayerRules.Violations(arrows));
        Assert.Equal(
            [
                "cycle: Routing <-> Transport",
                "  MediaServer.Routing.Track -> MediaServer.Transport.PlainRtpEndpoint",
                "  MediaServer.Transport.PlainRtpEndpoint -> MediaServer.Routing.Track",
            ],
            LayerRules.Cycles(arrows));
    }
}
