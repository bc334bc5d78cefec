using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using MediaServer.Codecs.Srtp;

namespace MediaServer.Benchmarks;

/// <summary>
/// AES-128-GCM on an SRTP-sized packet (1200-byte payload, 12-byte AAD as the RTP header): .NET's
/// <see cref="AesGcm"/> (OpenSSL underneath) against the managed <see cref="Aes128Gcm"/>. Encryption is in place, as
/// SRTP does it; decryption reads one fixed, valid ciphertext into a scratch buffer so every call authenticates. The
/// Forged rows decrypt it under a wrong tag: AesGcm throws (and the caller catches), Aes128Gcm answers false. Allocated
/// must read 0 B for every row but AesGcmDecryptForged, whose exception allocates.
/// Run: dotnet run -c Release --project bench/MediaServer.Benchmarks -- --job short --filter '*AesGcm*'
/// </summary>
[MemoryDiagnoser]
#pragma warning disable CA1001 // BenchmarkDotNet owns the lifetime: the ciphers are disposed in [GlobalCleanup].
public class AesGcmBenchmarks
#pragma warning restore CA1001
{
    private const int PayloadLength = 1200;

    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _associatedData = new byte[12];
    private readonly byte[] _buffer = new byte[PayloadLength];
    private readonly byte[] _ciphertext = new byte[PayloadLength];
    private readonly byte[] _scratch = new byte[PayloadLength];
    private readonly byte[] _tag = new byte[16];
    private readonly byte[] _validTag = new byte[16];
    private readonly byte[] _forgedTag = new byte[16];
    private AesGcm _aesGcm = null!;
    private Aes128Gcm _aes128Gcm = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var key = new byte[16];
        random.NextBytes(key);
        random.NextBytes(_nonce);
        random.NextBytes(_associatedData);
        random.NextBytes(_buffer);
        _aesGcm = new AesGcm(key, 16);
        _aes128Gcm = new Aes128Gcm(key);
        _aesGcm.Encrypt(_nonce, _buffer, _ciphertext, _validTag, _associatedData);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _aesGcm.Dispose();
        _aes128Gcm.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void AesGcmEncrypt() => _aesGcm.Encrypt(_nonce, _buffer, _buffer, _tag, _associatedData);

    [Benchmark]
    public void Aes128GcmEncrypt() => _aes128Gcm.Encrypt(_nonce, _buffer, _buffer, _tag, _associatedData);

    [Benchmark]
    public void AesGcmDecrypt() => _aesGcm.Decrypt(_nonce, _ciphertext, _validTag, _scratch, _associatedData);

    [Benchmark]
    public bool Aes128GcmTryDecrypt() => _aes128Gcm.TryDecrypt(_nonce, _ciphertext, _validTag, _scratch, _associatedData);

    [Benchmark]
    public bool AesGcmDecryptForged()
    {
        try
        {
            _aesGcm.Decrypt(_nonce, _ciphertext, _forgedTag, _scratch, _associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    [Benchmark]
    public bool Aes128GcmTryDecryptForged() => _aes128Gcm.TryDecrypt(_nonce, _ciphertext, _forgedTag, _scratch, _associatedData);
}
