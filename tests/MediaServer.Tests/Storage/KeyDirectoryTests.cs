using MediaServer.Hosting;
using MediaServer.Storage;

namespace MediaServer.Tests.Storage;

public sealed class KeyDirectoryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("keydir-test-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Keys_left_in_the_data_directory_move_to_the_key_directory()
    {
        var data = Path.Combine(_root, "data");
        Directory.CreateDirectory(Path.Combine(data, "keys"));
        File.WriteAllText(Path.Combine(data, "keys", "jwt-signing.key"), Convert.ToBase64String(new byte[32]));
        File.WriteAllText(Path.Combine(data, "keys", "recording-signing.pem"), "pem");

        var keys = KeyDirectory.Open(Path.Combine(_root, "keys"), data);

        Assert.True(File.Exists(keys.FilePath("jwt-signing.key")));
        Assert.True(File.Exists(keys.FilePath("recording-signing.pem")));
        Assert.False(Directory.Exists(Path.Combine(data, "keys")));
        Assert.Equal(2, keys.Notes.Count(n => n.StartsWith("moved", StringComparison.Ordinal)));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keys.FilePath("recording-signing.pem")));
        }
    }

    [Fact]
    public void A_different_key_already_in_the_key_directory_wins_and_the_old_one_is_left_and_named()
    {
        var data = Path.Combine(_root, "data");
        Directory.CreateDirectory(Path.Combine(data, "keys"));
        File.WriteAllText(Path.Combine(data, "keys", "jwt-signing.key"), "old");
        Directory.CreateDirectory(Path.Combine(_root, "keys"));
        File.WriteAllText(Path.Combine(_root, "keys", "jwt-signing.key"), "new");

        var keys = KeyDirectory.Open(Path.Combine(_root, "keys"), data);

        Assert.Equal("new", File.ReadAllText(keys.FilePath("jwt-signing.key")));
        Assert.True(File.Exists(Path.Combine(data, "keys", "jwt-signing.key")));
        Assert.Contains(keys.Notes, n => n.StartsWith("left", StringComparison.Ordinal));
    }

    [Fact]
    public void A_wide_key_directory_is_narrowed_to_0700()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var path = Path.Combine(_root, "keys");
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, (UnixFileMode)0x1ED); // 0755
        KeyDirectory.Open(path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(path));
    }

    [Fact]
    public void The_default_key_directory_is_a_sibling_of_the_data_directory_and_one_inside_it_is_refused()
    {
        var options = new MediaServerOptions { DataDirectory = Path.Combine(_root, "data") };
        Assert.Equal(Path.Combine(_root, "data-keys"), options.ResolveKeyDirectory());
        Assert.False(options.KeyDirectoryInsideData());
        options.KeyDirectory = Path.Combine(_root, "data", "keys");
        Assert.True(options.KeyDirectoryInsideData());
        options.KeyDirectory = Path.Combine(_root, "data");
        Assert.True(options.KeyDirectoryInsideData());
        options.KeyDirectory = Path.Combine(_root, "database-keys");
        Assert.False(options.KeyDirectoryInsideData());
    }
}
