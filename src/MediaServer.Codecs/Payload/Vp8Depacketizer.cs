using System.Buffers.Binary;

namespace MediaServer.Codecs.Payload;

/// <summary>
/// VP8 frames from RTP (RFC 7741 §4): each payload's descriptor is stripped and the VP8 data of one timestamp joined up
/// to the marker. The frame is what a VP8 decoder (and an IVF file) takes.
/// </summary>
public sealed class Vp8Depacketizer : VideoDepacketizer
{
    private bool _startSeen;
    private bool _keyframe;

    /// <summary>
    /// Reads the frame size from a keyframe (RFC 6386 §9.1: 3-byte frame tag, start code 9D 01 2A, then 14-bit width and
    /// height, little-endian, the top two bits of each being a scaling hint).
    /// </summary>
    public static bool TryGetKeyframeSize(ReadOnlySpan<byte> frame, out int width, out int height)
    {
        width = 0;
        height = 0;
        if (frame.Length < 10 || (frame[0] & 0x01) != 0 || frame[3] != 0x9D || frame[4] != 0x01 || frame[5] != 0x2A)
        {
            return false;
        }

        width = BinaryPrimitives.ReadUInt16LittleEndian(frame[6..]) & 0x3FFF;
        height = BinaryPrimitives.ReadUInt16LittleEndian(frame[8..]) & 0x3FFF;
        return true;
    }

    protected override bool IsFrameStart(ReadOnlySpan<byte> payload) => Vp8Payload.IsStartOfFrame(payload);

    protected override void BeginFrame()
    {
        _startSeen = false;
        _keyframe = false;
    }

    protected override bool AppendPayload(ReadOnlySpan<byte> payload)
    {
        if (!Vp8Payload.TryParseDescriptor(payload, out var descriptor))
        {
            return false;
        }

        var data = payload[descriptor.Length..];
        if (!_startSeen)
        {
            // RFC 7741 §4.4: the frame's first packet has S=1 and PID=0; its VP8 payload header says key or inter frame.
            if (!descriptor.IsStartOfPartition || descriptor.PartitionIndex != 0 || data.Length < 3)
            {
                return false;
            }

            _startSeen = true;
            _keyframe = (data[0] & 0x01) == 0;
        }

        return Write(data);
    }

    protected override bool IsFrameComplete() => _startSeen;

    protected override bool IsKeyframe() => _keyframe;
}
