namespace MediaServer.Testing;

/// <summary>A scheduled visit on a running server: the officer who made it, and each participant's join token.</summary>
public sealed class VisitScenario
{
    private VisitScenario(ServerProcess server, string officerToken, VisitDto visit, IReadOnlyDictionary<string, ParticipantTokenDto> tokens)
    {
        Server = server;
        OfficerToken = officerToken;
        Visit = visit;
        Tokens = tokens;
    }

    public ServerProcess Server { get; }

    public MediaServerApi Api => Server.Api;

    public string OfficerToken { get; }

    public VisitDto Visit { get; }

    public string Id => Visit.Id;

    public IReadOnlyDictionary<string, ParticipantTokenDto> Tokens { get; }

    public string KioskToken => Tokens["i1"].Token;

    public string VisitorToken(int n) => Tokens[$"v{n}"].Token;

    /// <summary>
    /// Creates a visit for inmate i1 and visitors v1..vN (by default starting in a minute, so inside the join grace,
    /// and ending in ten) and asks the API for each participant's token: the officer's for an ordinary visit, a scheduler's
    /// for a privileged one (officers may not mint those).
    /// </summary>
    public static async Task<VisitScenario> CreateAsync(
        ServerProcess server,
        int visitors,
        DateTimeOffset? start = null,
        DateTimeOffset? end = null,
        string? officerToken = null,
        bool privileged = false)
    {
        officerToken ??= await server.MintTokenAsync("officer", "officer-1");
        var now = DateTimeOffset.UtcNow;
        var request = CreateVisitRequest.For(visitors, start ?? now.AddMinutes(1), end ?? now.AddMinutes(10)) with { Privileged = privileged };
        var visit = await server.Api.CreateVisitAsync(officerToken, request);
        var minter = privileged ? await server.MintTokenAsync("scheduler", "scheduling-system") : officerToken;
        var tokens = new Dictionary<string, ParticipantTokenDto>();
        foreach (var participant in new[] { request.Inmate }.Concat(request.Visitors))
        {
            tokens[participant.Id] = await server.Api.MintParticipantTokenAsync(minter, visit.Id, participant.Id);
        }

        return new VisitScenario(server, officerToken, visit, tokens);
    }

    public Task<VisitDto> GetAsync() => Api.GetVisitAsync(OfficerToken, Id);

    /// <summary>Joins the kiosk and visitor 1, starts both sending, and waits until each receives the other's video; returns both legs.</summary>
    public async Task<(JoinResult Kiosk, JoinResult Visitor)> JoinAndRelayAsync(Rtp.RtpParty kiosk, Rtp.RtpParty visitor)
    {
        var kioskLeg = await Api.JoinAsync(KioskToken, Id, kiosk.OfferSdp);
        var visitorLeg = await Api.JoinAsync(VisitorToken(1), Id, visitor.OfferSdp);
        kiosk.StartSending(kioskLeg.AnswerSdp);
        visitor.StartSending(visitorLeg.AnswerSdp);
        await visitor.VideoIn.WaitForRtpAsync(30, TimeSpan.FromSeconds(10), "kiosk video at visitor1");
        await kiosk.VideoIn.WaitForRtpAsync(30, TimeSpan.FromSeconds(10), "visitor1 video at kiosk");
        return (kioskLeg, visitorLeg);
    }

    public Task<VisitDto> WaitForStateAsync(string state, TimeSpan timeout) =>
        Poll.UntilAsync(GetAsync, v => v.State == state, timeout, $"visit {Id} to be {state}", TimeSpan.FromMilliseconds(200));
}
