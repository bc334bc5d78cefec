using System.Text;
using MediaServer.Codecs.Stun;

namespace MediaServer.Codecs.Tests.Stun;

public class IceUsernameTests
{
    [Theory]
    [InlineData("Srv1:cLnT", "Srv1", "cLnT")]
    [InlineData("evtj:h6vY", "evtj", "h6vY")]
    [InlineData("a+b/:c", "a+b/", "c")]
    public void Splits_the_receivers_ufrag_from_the_senders(string username, string local, string remote)
    {
        Assert.True(IceUsername.TryParse(Encoding.UTF8.GetBytes(username), out var localUfrag, out var remoteUfrag));
        Assert.Equal(local, Encoding.UTF8.GetString(localUfrag));
        Assert.Equal(remote, Encoding.UTF8.GetString(remoteUfrag));
    }

    [Theory]
    [InlineData("")]
    [InlineData(":")]
    [InlineData("noColon")]
    [InlineData(":remote")]
    [InlineData("local:")]
    [InlineData("a:b:c")]
    public void Refuses_usernames_that_are_not_two_ufrags(string username)
    {
        Assert.False(IceUsername.TryParse(Encoding.UTF8.GetBytes(username), out var local, out var remote));
        Assert.True(local.IsEmpty);
        Assert.True(remote.IsEmpty);
    }

    [Fact]
    public void Write_forms_what_the_sender_puts_in_its_check_and_parse_reads_it_back()
    {
        var buffer = new byte[16];

        int written = IceUsername.Write("Srv1"u8, "cLnT"u8, buffer);

        Assert.Equal("Srv1:cLnT", Encoding.UTF8.GetString(buffer, 0, written));
        Assert.True(IceUsername.TryParse(buffer.AsSpan(0, written), out var local, out var remote));
        Assert.True(local.SequenceEqual("Srv1"u8));
        Assert.True(remote.SequenceEqual("cLnT"u8));
        Assert.Equal(-1, IceUsername.Write("Srv1"u8, "cLnT"u8, new byte[8]));
    }
}
