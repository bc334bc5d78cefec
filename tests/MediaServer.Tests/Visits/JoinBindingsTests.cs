using System.Net;
using MediaServer.Storage;
using MediaServer.Visits;
using Microsoft.Data.Sqlite;

namespace MediaServer.Tests.Visits;

public sealed class JoinBindingsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("bindings-test-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private Database OpenDatabase() => new(Path.Combine(_directory, "test.db"));

    private static JoinClient Client(string tokenId, string? instance, string address = "127.0.0.1")
    {
        Assert.True(JoinClient.TryCreate(tokenId, instance, IPAddress.Parse(address), out var client, out var error), error);
        return client!;
    }

    private const string SecretA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string SecretB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    [Fact]
    public void The_first_client_binds_the_token_and_only_it_matches_afterwards()
    {
        var bindings = new JoinBindings(new JoinBindingStore(OpenDatabase()));
        var first = Client("jti-1", SecretA);

        Assert.Equal(BindingMatch.Unbound, bindings.Check(first));
        Assert.True(bindings.Bind(first, "v-1", "v1", DateTimeOffset.UtcNow));

        Assert.Equal(BindingMatch.Same, bindings.Check(first));
        // Same secret from another address (a network change): still the same client.
        Assert.Equal(BindingMatch.Same, bindings.Check(Client("jti-1", SecretA, "10.1.2.3")));
        Assert.Equal(BindingMatch.Other, bindings.Check(Client("jti-1", SecretB)));
        Assert.Equal(BindingMatch.Other, bindings.Check(Client("jti-1", instance: null)));
        // Another token is not touched by this one's binding.
        Assert.Equal(BindingMatch.Unbound, bindings.Check(Client("jti-2", SecretB)));
    }

    [Fact]
    public void A_later_bind_never_replaces_the_first()
    {
        var bindings = new JoinBindings(new JoinBindingStore(OpenDatabase()));
        Assert.True(bindings.Bind(Client("jti-1", SecretA), "v-1", "v1", DateTimeOffset.UtcNow));
        Assert.False(bindings.Bind(Client("jti-1", SecretB), "v-1", "v1", DateTimeOffset.UtcNow));
        Assert.Equal(BindingMatch.Other, bindings.Check(Client("jti-1", SecretB)));
    }

    [Fact]
    public void Bindings_survive_a_restart()
    {
        new JoinBindings(new JoinBindingStore(OpenDatabase())).Bind(Client("jti-1", SecretA), "v-1", "v1", DateTimeOffset.UtcNow);
        var reopened = new JoinBindings(new JoinBindingStore(OpenDatabase()));
        Assert.Equal(BindingMatch.Same, reopened.Check(Client("jti-1", SecretA)));
        Assert.Equal(BindingMatch.Other, reopened.Check(Client("jti-1", SecretB)));
    }

    [Fact]
    public void Bindings_are_forgotten_once_every_token_of_their_visit_has_expired_and_not_before()
    {
        var database = OpenDatabase();
        var visits = new VisitStore(database);
        var now = DateTimeOffset.UtcNow;
        var grace = TimeSpan.FromMinutes(5);
        var over = new Visit("v-over", new Person("i1", "Kiosk"), [new Person("v1", "One")], now.AddHours(-2), now.AddMinutes(-6),
            privileged: false, flagged: false, now.AddHours(-3));
        var justOver = new Visit("v-just", new Person("i1", "Kiosk"), [new Person("v1", "One")], now.AddHours(-1), now.AddMinutes(-4),
            privileged: false, flagged: false, now.AddHours(-3));
        visits.Insert(over);
        visits.Insert(justOver);
        var bindings = new JoinBindings(new JoinBindingStore(database));
        bindings.Bind(Client("jti-over", SecretA), over.Id, "v1", now.AddHours(-2));
        bindings.Bind(Client("jti-just", SecretA), justOver.Id, "v1", now.AddHours(-1));

        // v-over's tokens expired a minute ago (end + 5 min); v-just's are valid for one more minute.
        Assert.Equal(1, bindings.ForgetExpired(now, grace));

        Assert.Equal(BindingMatch.Unbound, bindings.Check(Client("jti-over", SecretA)));
        Assert.Equal(BindingMatch.Same, bindings.Check(Client("jti-just", SecretA)));
        Assert.Equal(BindingMatch.Other, bindings.Check(Client("jti-just", SecretB)));
        Assert.Equal(0, bindings.ForgetExpired(now, grace));
    }

    [Fact]
    public void The_table_holds_a_hash_of_the_secret_never_the_secret()
    {
        var database = OpenDatabase();
        new JoinBindings(new JoinBindingStore(database)).Bind(Client("jti-1", SecretA), "v-1", "v1", DateTimeOffset.UtcNow);
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT credential FROM token_bindings";
        var stored = (string)command.ExecuteScalar()!;
        Assert.DoesNotContain(SecretA, stored, StringComparison.Ordinal);
        Assert.Matches("^instance:[0-9a-f]{64}$", stored);
    }
}

public sealed class JoinClientTests
{
    [Fact]
    public void Without_an_instance_the_client_is_its_address_and_a_mapped_address_is_the_ipv4_one()
    {
        Assert.True(JoinClient.TryCreate("t", null, IPAddress.Parse("::ffff:10.0.0.5"), out var mapped, out _));
        Assert.True(JoinClient.TryCreate("t", null, IPAddress.Parse("10.0.0.5"), out var plain, out _));
        Assert.Equal("address:10.0.0.5", mapped!.Credential);
        Assert.Equal(plain!.Credential, mapped.Credential);
        Assert.False(mapped.HasInstance);
    }

    [Theory]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaa")] // 21: fewer than 128 bits
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa aa")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\u00e9")]
    public void A_malformed_instance_is_refused_with_the_rule(string instance)
    {
        Assert.False(JoinClient.TryCreate("t", instance, IPAddress.Loopback, out var client, out var error));
        Assert.Null(client);
        Assert.Equal(JoinClient.InstanceRule, error);
    }

    [Fact]
    public void Lengths_at_the_bounds_are_accepted_and_one_past_is_not()
    {
        Assert.True(JoinClient.IsValidInstance(new string('A', JoinClient.MinInstanceLength)));
        Assert.True(JoinClient.IsValidInstance(new string('-', JoinClient.MaxInstanceLength)));
        Assert.False(JoinClient.IsValidInstance(new string('_', JoinClient.MaxInstanceLength + 1)));
    }

    [Fact]
    public void The_description_names_the_token_and_address_but_not_the_secret()
    {
        Assert.True(JoinClient.TryCreate("jti-9", "secretsecretsecretsecret", IPAddress.Parse("192.0.2.7"), out var client, out _));
        var text = client!.Describe();
        Assert.Equal("token jti-9 from 192.0.2.7 with a client instance", text);
        Assert.DoesNotContain("secret", text, StringComparison.Ordinal);
    }
}
