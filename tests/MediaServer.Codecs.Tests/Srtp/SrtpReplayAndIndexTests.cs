using MediaServer.Codecs.Srtp;

namespace MediaServer.Codecs.Tests.Srtp;

public class SrtpReplayAndIndexTests
{
    [Theory]
    [InlineData(0x0_0000UL, (ushort)1, 0x0_0001UL)]
    [InlineData(0x0_FFFEUL, (ushort)3, 0x1_0003UL)] // wrapped forward: ROC + 1
    [InlineData(0x1_0003UL, (ushort)0xFFFE, 0x0_FFFEUL)] // late from before the wrap: ROC - 1
    [InlineData(0x5_8000UL, (ushort)0x0001, 0x5_0001UL)] // half the space behind is still this ROC
    [InlineData(0x5_8001UL, (ushort)0x0000, 0x6_0000UL)] // just over half behind reads as the next ROC
    [InlineData(0x5_7FFFUL, (ushort)0xFFFF, 0x5_FFFFUL)]
    public void Index_estimation_picks_the_ROC_nearest_the_highest_index(ulong highest, ushort seq, ulong expected)
    {
        Assert.True(SrtpIndex.TryEstimate(true, highest, seq, out ulong index));
        Assert.Equal(expected, index);
    }

    [Fact]
    public void Index_estimation_without_history_takes_ROC_zero()
    {
        Assert.True(SrtpIndex.TryEstimate(false, 0, 0xABCD, out ulong index));
        Assert.Equal(0xABCDUL, index);
    }

    [Fact]
    public void Index_estimation_refuses_a_ROC_below_zero_or_past_32_bits()
    {
        Assert.False(SrtpIndex.TryEstimate(true, 0x0_0005, 0xFFF0, out _));
        Assert.False(SrtpIndex.TryEstimate(true, 0xFFFF_FFFF_FFF0UL, 0x0005, out _));
    }

    [Fact]
    public void Replay_window_matches_a_plain_set_model_under_seeded_traffic()
    {
        // Model: accepted iff not seen and not 'size' or more behind the highest accepted.
        var random = new Random(99);
        foreach (int size in new[] { 64, 100, 1024 })
        {
            var window = new ReplayWindow(size);
            var seen = new HashSet<ulong>();
            ulong highest = 0;
            ulong cursor = 1000;
            for (int i = 0; i < 20_000; i++)
            {
                cursor += (ulong)random.Next(0, 3);
                ulong index = random.Next(10) switch
                {
                    0 => cursor + (ulong)random.Next(1, 3000), // jumps ahead
                    < 4 => cursor - (ulong)random.Next(0, size + 40), // around the trailing edge
                    _ => cursor,
                };

                SrtpResult expected = seen.Count > 0 && index <= highest && highest - index >= (ulong)size
                    ? SrtpResult.TooOld
                    : seen.Contains(index) ? SrtpResult.Replayed : SrtpResult.Ok;

                Assert.Equal(expected, window.Check(index));
                if (expected == SrtpResult.Ok)
                {
                    window.Accept(index);
                    seen.Add(index);
                    highest = Math.Max(highest, index);
                    cursor = Math.Max(cursor, index);
                }
            }
        }
    }
}
