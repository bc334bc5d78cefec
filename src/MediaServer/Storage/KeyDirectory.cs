using System.Security.Cryptography;

namespace MediaServer.Storage;

/// <summary>
/// The folder that holds every key the server uses (bearer-token, manifest, DTLS and audit keys) and the audit checkpoints, kept
/// apart from the data directory so that a copy of the data (database, recordings) holds no key. Created owner-only (0700),
/// its files 0600. Keys an older server kept in {DataDirectory}/keys are moved here on open; <see cref="Notes"/> says what moved.
/// </summary>
public sealed class KeyDirectory
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly List<string> _notes = [];

    private KeyDirectory(string path)
    {
        Path = path;
    }

    public string Path { get; }

    /// <summary>What opening did that an operator should read in the log (keys moved, permissions tightened).</summary>
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>Opens (creating it 0700) the key directory, and moves keys left in <paramref name="dataDirectory"/>/keys into it.</summary>
    public static KeyDirectory Open(string keyDirectory, string? dataDirectory = null)
    {
        var keys = new KeyDirectory(System.IO.Path.GetFullPath(keyDirectory));
        keys.Create();
        if (dataDirectory is not null)
        {
            keys.MigrateFrom(System.IO.Path.Combine(dataDirectory, "keys"));
        }
        keys.TightenFiles();
        keys.RefuseExposed();
        return keys;
    }

    public void AddNote(string note) => _notes.Add(note);

    public string FilePath(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A random secret of <paramref name="length"/> bytes in FILE (base64, 0600), made on first use; two processes agree on one.</summary>
    public byte[] LoadOrCreateSecret(string fileName, int length, out bool created)
    {
        var path = FilePath(fileName);
        created = false;
        if (File.Exists(path))
        {
            return ReadSecret(path, length);
        }
        var key = RandomNumberGenerator.GetBytes(length);
        var temp = path + "." + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".tmp";
        using (var stream = new FileStream(temp, CreateOptions()))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(Convert.ToBase64String(key));
        }
        try
        {
            // Two processes starting at once (server and CLI) must agree on one key: the first rename wins.
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException)
        {
            File.Delete(temp);
            return ReadSecret(path, length);
        }
        created = true;
        return key;
    }

    /// <summary>FileStream options that create a file 0600 (the mode is applied at creation, not after).</summary>
    public static FileStreamOptions CreateOptions(FileMode mode = FileMode.Create, FileAccess access = FileAccess.Write)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode600;
        }
        return options;
    }

    /// <summary>Creates DIRECTORY owner-only, or narrows an existing one to 0700. Used for the data directory as well.</summary>
    public static void CreateOwnerOnly(string directory, List<string>? notes = null)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            return;
        }
        Directory.CreateDirectory(directory, DirectoryMode);
        var mode = File.GetUnixFileMode(directory);
        if ((mode & ~DirectoryMode) != 0)
        {
            try
            {
                File.SetUnixFileMode(directory, DirectoryMode);
                notes?.Add($"narrowed {directory} from {Octal(mode)} to 0700");
            }
            catch (UnauthorizedAccessException)
            {
                notes?.Add($"{directory} is {Octal(mode)} and not ours to narrow to 0700");
            }
        }
    }

    /// <summary>Narrows FILE to 0600 when it is wider; true when it changed.</summary>
    public static bool NarrowFile(string file)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(file))
        {
            return false;
        }
        var mode = File.GetUnixFileMode(file);
        if ((mode & ~FileMode600) == 0)
        {
            return false;
        }
        try
        {
            File.SetUnixFileMode(file, mode & FileMode600);
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);

    private static byte[] ReadSecret(string path, int length)
    {
        var existing = Convert.FromBase64String(File.ReadAllText(path).Trim());
        if (existing.Length < length)
        {
            throw new InvalidOperationException($"The key in {path} is shorter than {length} bytes; remove it to have a new one made.");
        }
        return existing;
    }

    private void Create() => CreateOwnerOnly(Path, _notes);

    /// <summary>
    /// A key directory or key file that others may still read after narrowing (it belongs to another user, so this process
    /// may read it but not change its mode) is refused: anyone on the machine could mint tokens or forge checkpoints with it.
    /// </summary>
    private void RefuseExposed()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var directoryMode = File.GetUnixFileMode(Path);
        if ((directoryMode & ~DirectoryMode) != 0)
        {
            throw new UnauthorizedAccessException($"it is {Octal(directoryMode)} and belongs to another user, so it cannot be narrowed to 0700: "
                + "anyone on this machine may list it (chmod 700 it, or give it to the server's user)");
        }
        foreach (var file in Directory.EnumerateFiles(Path))
        {
            var mode = File.GetUnixFileMode(file);
            if ((mode & ~FileMode600) != 0)
            {
                throw new UnauthorizedAccessException($"{file} is {Octal(mode)} and belongs to another user, so it cannot be narrowed to 0600: "
                    + "anyone on this machine may read it (chmod 600 it, or give it to the server's user)");
            }
        }
    }

    private void TightenFiles()
    {
        foreach (var file in Directory.EnumerateFiles(Path))
        {
            if (NarrowFile(file))
            {
                _notes.Add($"narrowed {file} to 0600");
            }
        }
    }

    private void MigrateFrom(string legacy)
    {
        if (!Directory.Exists(legacy) || string.Equals(System.IO.Path.GetFullPath(legacy), Path, StringComparison.Ordinal))
        {
            return;
        }
        foreach (var source in Directory.EnumerateFiles(legacy))
        {
            var name = System.IO.Path.GetFileName(source);
            if (name.EndsWith(".tmp", StringComparison.Ordinal))
            {
                continue;
            }
            var target = FilePath(name);
            try
            {
                if (!File.Exists(target))
                {
                    File.Move(source, target, overwrite: false);
                    _notes.Add($"moved {source} to {target}");
                    continue;
                }
            }
            catch (IOException) when (File.Exists(target))
            {
                // Another process moved it first; compare below.
            }
            if (File.Exists(source) && File.ReadAllBytes(source).AsSpan().SequenceEqual(File.ReadAllBytes(target)))
            {
                File.Delete(source);
                _notes.Add($"removed {source} (the key directory holds the same key)");
            }
            else if (File.Exists(source))
            {
                _notes.Add($"left {source}: the key directory holds a different {name}, which is the one in use");
            }
        }
        if (!Directory.EnumerateFileSystemEntries(legacy).Any())
        {
            Directory.Delete(legacy);
        }
    }
}
