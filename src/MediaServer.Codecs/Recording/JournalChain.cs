using System.Security.Cryptography;

namespace MediaServer.Codecs.Recording;

/// <summary>
/// The journal's SHA-256 chain: <c>chain₀ = SHA-256(preamble)</c>, <c>chainₖ = SHA-256(chainₖ₋₁ ‖ recordₖ)</c> over each
/// record's full bytes (length, type, payload, CRC). Changing, removing or inserting any record changes every later value,
/// and the last value is what the signed manifest holds.
/// </summary>
public sealed class JournalChain : IDisposable
{
    public const int HashLength = 32;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _value = new byte[HashLength];

    public JournalChain(ReadOnlySpan<byte> preamble)
    {
        SHA256.HashData(preamble, _value);
    }

    /// <summary>The chain value after the last record appended.</summary>
    public ReadOnlySpan<byte> Value => _value;

    /// <summary>Records appended so far.</summary>
    public long Count { get; private set; }

    public void Append(ReadOnlySpan<byte> record)
    {
        _hash.AppendData(_value);
        _hash.AppendData(record);
        _hash.GetHashAndReset(_value);
        Count++;
    }

    public void Dispose() => _hash.Dispose();
}
