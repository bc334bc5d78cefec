using MediaServer.Auth;
using MediaServer.Hosting;
using MediaServer.Hosting.Cli;
using MediaServer.Storage;
using Microsoft.IdentityModel.JsonWebTokens;

namespace MediaServer.Tests.Auth;

public sealed class ParticipantTokenPolicyTests
{
    [Theory]
    [InlineData(Roles.Scheduler, false, true)]
    [InlineData(Roles.Scheduler, true, true)]
    [InlineData(Roles.Officer, false, true)]
    [InlineData(Roles.Admin, false, true)]
    [InlineData(Roles.Officer, true, false)]
    [InlineData(Roles.Admin, true, false)]
    [InlineData(Roles.Investigator, false, false)]
    [InlineData(Roles.Investigator, true, false)]
    [InlineData(Roles.Visitor, false, false)]
    [InlineData(Roles.Kiosk, true, false)]
    [InlineData("", true, false)]
    public void Only_the_scheduler_mints_for_a_privileged_visit(string role, bool privileged, bool allowed) =>
        Assert.Equal(allowed, ParticipantTokenPolicy.Refusal(role, privileged) is null);
}

public sealed class TokenIssuerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("issuer-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Every_token_carries_its_own_jti()
    {
        var issuer = new TokenIssuer(new SigningKeys(KeyDirectory.Open(_directory).LoadOrCreateSecret(SigningKeys.FileName, SigningKeys.SecretBytes, out _)), new AuthOptions(), TimeProvider.System);
        var now = DateTimeOffset.UtcNow;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 50; i++)
        {
            var issued = issuer.Issue(Roles.Visitor, "v1", "v-1", now, now.AddHours(1));
            var jwt = new JsonWebToken(issued.Token);
            Assert.Equal(issued.TokenId, jwt.GetClaim(ClaimNames.TokenId).Value);
            Assert.Matches("^[A-Za-z0-9_-]{22}$", issued.TokenId);
            Assert.True(ids.Add(issued.TokenId), "a jti was issued twice");
        }
    }
}

public sealed class TokenCommandRoleTests
{
    [Theory]
    [InlineData("visitor", "v-1")]
    [InlineData("kiosk", "v-1")]
    [InlineData("visitor", null)]
    public void Participant_roles_are_refused_and_nothing_is_printed(string role, string? visit)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        string[] args = visit is null ? ["--role", role, "--sub", "x"] : ["--role", role, "--sub", "x", "--visit", visit];

        Assert.Equal(2, TokenCommand.Run(args, output, error));

        Assert.Equal("", output.ToString());
        Assert.Contains("POST /api/visits/{id}/tokens", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_visit_claim_on_a_staff_token_is_refused()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(2, TokenCommand.Run(["--role", "officer", "--sub", "x", "--visit", "v-1"], output, error));
        Assert.Equal("", output.ToString());
    }
}
