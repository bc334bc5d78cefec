using System.Security.Cryptography;
using MediaServer.Codecs.Sdp;

namespace MediaServer.Transport.WebRtc;

/// <summary>Computes and checks certificate fingerprints: a hash over the DER of the end-entity certificate (RFC 8122 §5).</summary>
public static class CertificateFingerprint
{
    /// <summary>True when <paramref name="hashFunction"/> (an RFC 8122 token such as <c>sha-256</c>) is one we can compute.</summary>
    public static bool IsSupported(string hashFunction) => DigestLength(hashFunction) > 0;

    /// <summary>The fingerprint of a DER-encoded certificate, or null when the hash function is not one we compute.</summary>
    public static SdpFingerprint? Compute(string hashFunction, ReadOnlySpan<byte> certificateDer)
    {
        Span<byte> digest = stackalloc byte[64];
        var length = TryHash(hashFunction, certificateDer, digest);
        return length > 0 ? new SdpFingerprint(hashFunction, digest[..length].ToArray()) : null;
    }

    /// <summary>
    /// True when the certificate matches at least one of the fingerprints whose hash function we support (RFC 8122 §5 lets an
    /// offer carry several, e.g. one per hash function). Fingerprints with hash functions we cannot compute (md5, sha-224) are
    /// skipped; when none is left the answer is false, so an offer cannot switch the check off by naming an odd hash.
    /// Digests are compared in constant time.
    /// </summary>
    public static bool MatchesAny(IReadOnlyList<SdpFingerprint> fingerprints, ReadOnlySpan<byte> certificateDer)
    {
        Span<byte> digest = stackalloc byte[64];
        for (var i = 0; i < fingerprints.Count; i++)
        {
            var expected = fingerprints[i];
            var length = TryHash(expected.HashFunction, certificateDer, digest);
            if (length > 0 && CryptographicOperations.FixedTimeEquals(digest[..length], expected.Value))
            {
                return true;
            }
        }
        return false;
    }

    private static int DigestLength(string hashFunction) => hashFunction.ToLowerInvariant() switch
    {
        "sha-1" => SHA1.HashSizeInBytes,
        "sha-256" => SHA256.HashSizeInBytes,
        "sha-384" => SHA384.HashSizeInBytes,
        "sha-512" => SHA512.HashSizeInBytes,
        _ => 0,
    };

    private static int TryHash(string hashFunction, ReadOnlySpan<byte> data, Span<byte> destination) => hashFunction.ToLowerInvariant() switch
    {
#pragma warning disable CA5350 // RFC 8122 still allows sha-1 fingerprints: checking one an offer chose is not choosing SHA-1 ourselves.
        "sha-1" => SHA1.HashData(data, destination),
#pragma warning restore CA5350
        "sha-256" => SHA256.HashData(data, destination),
        "sha-384" => SHA384.HashData(data, destination),
        "sha-512" => SHA512.HashData(data, destination),
        _ => 0,
    };
}
