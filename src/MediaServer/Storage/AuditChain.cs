using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MediaServer.Visits;
using Microsoft.Data.Sqlite;

namespace MediaServer.Storage;

/// <summary>
/// The audit chain's arithmetic (docs/audit-log.md): how an entry is hashed onto its predecessor, how times are written, and
/// how a row of the audit table is read back.
/// </summary>
internal static class AuditChain
{
    /// <summary>The predecessor of entry 1, and the head of an empty log.</summary>
    internal const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>
    /// HMAC-SHA-256 (RFC 2104) under KEY over the predecessor's value and the entry's fields, each length-prefixed so that no two
    /// entries encode alike. A null key gives the plain SHA-256 of the same text: the unkeyed links of rows adopted from an
    /// older server (a count of 1 is left out there, as those rows had none).
    /// </summary>
    internal static string ComputeHash(byte[]? key, string previousHash, AuditEntry entry)
    {
        var builder = new StringBuilder();
        Field(builder, previousHash);
        Field(builder, entry.Seq.ToString(CultureInfo.InvariantCulture));
        Field(builder, FormatTime(entry.At));
        Field(builder, entry.Actor);
        Field(builder, entry.Role);
        Field(builder, entry.Action);
        Field(builder, entry.Target);
        Field(builder, entry.Outcome);
        if (key is null)
        {
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString())));
        }
        Field(builder, entry.Count.ToString(CultureInfo.InvariantCulture));
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(builder.ToString())));
    }

    internal static bool FixedTimeEquals(string a, string b) =>
        a.Length == b.Length && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));

    /// <summary>Reads seq, at, actor, role, action, target, outcome, count (columns 0 to 7).</summary>
    internal static AuditEntry ReadEntry(SqliteDataReader reader) => new(
        reader.GetInt64(0),
        DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetString(5),
        reader.GetString(6),
        reader.GetInt32(7));

    internal static string FormatTime(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Appends one length-prefixed field ("{length}:{value}\n").</summary>
    internal static void Field(StringBuilder builder, string value) =>
        builder.Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value).Append('\n');
}
