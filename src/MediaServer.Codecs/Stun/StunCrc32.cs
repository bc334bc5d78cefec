namespace MediaServer.Codecs.Stun;

/// <summary>
/// CRC-32 as FINGERPRINT needs it (RFC 8489 §14.7 names the ITU V.42 / IEEE 802.3 CRC): reflected polynomial
/// 0xEDB88320, initial value and final XOR 0xFFFFFFFF. Table-driven, one byte per step: STUN messages are a few
/// hundred bytes, so a wider slicing table would not pay for its cache footprint.
/// </summary>
internal static class StunCrc32
{
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint[] table = Table;
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            crc = table[(byte)(crc ^ b)] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }
}
