using Concentus;
using Concentus.Enums;
using MediaServer.Monitoring;

namespace MediaServer.Tests.Monitoring;

public sealed class OpusMixerTests
{
    private const int Frame = OpusMixer.FrameSamples;

    /// <summary>A tone as 20 ms Opus packets, encoded the way a party's client would (48 kHz mono, 20 ms frames).</summary>
    private static List<byte[]> EncodeTone(double frequency, double amplitude, int frames, int seed)
    {
        var random = new Random(seed);
        var encoder = OpusCodecFactory.CreateEncoder(48000, 1, OpusApplication.OPUS_APPLICATION_AUDIO);
        encoder.Bitrate = 64000;
        var phase = random.NextDouble() * Math.PI * 2;
        var pcm = new short[Frame];
        var packets = new List<byte[]>(frames);
        var buffer = new byte[1500];
        for (var f = 0; f < frames; f++)
        {
            for (var i = 0; i < Frame; i++)
            {
                var t = (f * Frame + i) / 48000.0;
                pcm[i] = (short)(amplitude * Math.Sin(2 * Math.PI * frequency * t + phase));
            }
            var length = encoder.Encode(pcm, Frame, buffer, buffer.Length);
            packets.Add(buffer.AsSpan(0, length).ToArray());
        }
        return packets;
    }

    /// <summary>Amplitude of one frequency in a signal (Goertzel's single DFT bin, scaled so a sine of amplitude A gives A).</summary>
    private static double Amplitude(ReadOnlySpan<short> signal, double frequency)
    {
        double real = 0, imaginary = 0;
        for (var i = 0; i < signal.Length; i++)
        {
            var angle = 2 * Math.PI * frequency * i / 48000.0;
            real += signal[i] * Math.Cos(angle);
            imaginary -= signal[i] * Math.Sin(angle);
        }
        return 2 * Math.Sqrt(real * real + imaginary * imaginary) / signal.Length;
    }

    private static short[] Decode(List<byte[]> packets)
    {
        var decoder = OpusCodecFactory.CreateDecoder(48000, 1);
        var output = new short[packets.Count * Frame];
        for (var f = 0; f < packets.Count; f++)
        {
            var made = decoder.Decode(packets[f], output.AsSpan(f * Frame, Frame), Frame);
            Assert.Equal(Frame, made);
        }
        return output;
    }

    [Fact]
    public void Two_opus_streams_mix_into_one_opus_stream_that_decodes_to_both_tones()
    {
        const int Frames = 50; // one second
        var low = EncodeTone(440, 6000, Frames, seed: 1);
        var high = EncodeTone(1000, 6000, Frames, seed: 2);
        using var mixer = new OpusMixer(inputs: 2, bitrate: 64000);
        var mixed = new List<byte[]>();
        var buffer = new byte[1500];
        for (var f = 0; f < Frames; f++)
        {
            mixer.Push(0, (ushort)(1000 + f), low[f]);
            mixer.Push(1, (ushort)(60000 + f), high[f]); // wraps past 65535: sequence arithmetic is modular
            var length = mixer.MixFrame(buffer);
            Assert.True(length > 0, $"frame {f} produced nothing");
            mixed.Add(buffer.AsSpan(0, length).ToArray());
        }

        var pcm = Decode(mixed).AsSpan(10 * Frame); // past the encoders' start-up
        var a440 = Amplitude(pcm, 440);
        var a1000 = Amplitude(pcm, 1000);
        var a2500 = Amplitude(pcm, 2500);
        Assert.InRange(a440, 6000 * 0.8, 6000 * 1.2);
        Assert.InRange(a1000, 6000 * 0.8, 6000 * 1.2);
        Assert.True(a2500 < 300, $"a frequency nobody sent has amplitude {a2500:0}");
        Assert.Equal(Frames, mixer.Frames);
        Assert.Equal(0, mixer.Concealed);
        Assert.Equal(0, mixer.Dropped);
    }

    [Fact]
    public void The_mix_is_the_sample_sum_of_what_each_party_decodes_to()
    {
        const int Frames = 10;
        var low = EncodeTone(440, 6000, Frames, seed: 3);
        var high = EncodeTone(1000, 6000, Frames, seed: 4);
        var expectedLow = Decode(low);
        var expectedHigh = Decode(high);
        using var mixer = new OpusMixer(inputs: 2);
        var frame = new short[Frame];
        for (var f = 0; f < Frames; f++)
        {
            mixer.Push(0, (ushort)f, low[f]);
            mixer.Push(1, (ushort)f, high[f]);
            Assert.True(mixer.MixPcm(frame));
            for (var i = 0; i < Frame; i++)
            {
                Assert.Equal(expectedLow[f * Frame + i] + expectedHigh[f * Frame + i], frame[i]);
            }
        }
    }

    [Fact]
    public void A_sum_beyond_16_bits_is_clipped_not_wrapped()
    {
        const int Frames = 10;
        var loud = EncodeTone(300, 30000, Frames, seed: 5);
        using var mixer = new OpusMixer(inputs: 2);
        var frame = new short[Frame];
        var clippedHigh = 0;
        var clippedLow = 0;
        for (var f = 0; f < Frames; f++)
        {
            mixer.Push(0, (ushort)f, loud[f]);
            mixer.Push(1, (ushort)f, loud[f]); // the same signal twice: peaks near 60000
            Assert.True(mixer.MixPcm(frame));
            foreach (var sample in frame)
            {
                clippedHigh += sample == short.MaxValue ? 1 : 0;
                clippedLow += sample == short.MinValue ? 1 : 0;
            }
        }
        Assert.True(clippedHigh > 100 && clippedLow > 100, $"clipped samples: {clippedHigh} high, {clippedLow} low");
    }

    [Fact]
    public void A_lost_packet_is_concealed_and_a_party_gone_quiet_drops_out_of_the_mix()
    {
        const int Frames = 20;
        var tone = EncodeTone(440, 6000, Frames, seed: 6);
        using var mixer = new OpusMixer(inputs: 1);
        var frame = new short[Frame];
        // Packet 5 is lost in the network: once seen as a gap in a queue that already holds 6 and 7, once as a late packet
        // whose turn came with the queue empty. Either way one frame is concealed and every frame is produced.
        for (var f = 0; f < 8; f++)
        {
            if (f != 5)
            {
                mixer.Push(0, (ushort)f, tone[f]);
            }
        }
        for (var f = 0; f < 8; f++)
        {
            Assert.True(mixer.MixPcm(frame), $"frame {f}");
        }
        Assert.Equal(1, mixer.Concealed);
        for (var f = 8; f < 14; f++)
        {
            if (f != 10)
            {
                mixer.Push(0, (ushort)f, tone[f]);
            }
            Assert.True(mixer.MixPcm(frame), $"frame {f}");
        }
        Assert.Equal(2, mixer.Concealed);
        Assert.Equal(0, mixer.Dropped);
        var concealedBefore = mixer.Concealed;

        // Nothing more arrives: a few frames are concealed, then the input counts as absent and nothing is produced.
        var produced = 0;
        while (mixer.MixPcm(frame))
        {
            produced++;
            Assert.True(produced <= OpusMixer.ConcealFrames, "the mixer kept concealing a party that had gone");
        }
        Assert.Equal(OpusMixer.ConcealFrames, produced);
        Assert.Equal(concealedBefore + OpusMixer.ConcealFrames, mixer.Concealed);
        Assert.Equal(0, mixer.MixFrame(new byte[1500]));
    }

    [Fact]
    public void A_party_that_sends_faster_than_the_mixer_reads_loses_its_oldest_packets_not_the_newest()
    {
        var pushed = OpusMixer.QueueDepth + 12;
        var tone = EncodeTone(440, 6000, pushed, seed: 7);
        using var mixer = new OpusMixer(inputs: 1);
        for (var f = 0; f < pushed; f++)
        {
            mixer.Push(0, (ushort)f, tone[f]);
        }
        Assert.Equal(pushed - OpusMixer.QueueDepth, mixer.Dropped);
        var frame = new short[Frame];
        for (var f = 0; f < OpusMixer.QueueDepth; f++)
        {
            Assert.True(mixer.MixPcm(frame));
        }
        Assert.Equal(0, mixer.Concealed);
    }

    [Fact]
    public void Garbage_payloads_and_bad_inputs_are_counted_and_never_throw()
    {
        var random = new Random(8);
        using var mixer = new OpusMixer(inputs: 2);
        var frame = new short[Frame];
        for (var f = 0; f < 50; f++)
        {
            var junk = new byte[random.Next(1, 400)];
            random.NextBytes(junk);
            mixer.Push(f % 2, (ushort)f, junk);
            mixer.MixPcm(frame);
        }
        mixer.Push(5, 0, [1, 2, 3]);
        mixer.Push(-1, 0, [1, 2, 3]);
        mixer.Push(0, 0, []);
        mixer.Push(0, 0, new byte[OpusMixer.MaxPayload + 1]);
        Assert.True(mixer.Dropped >= 4);
    }
}
