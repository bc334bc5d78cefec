using System.Collections.ObjectModel;

namespace MediaServer.Codecs.Sdp;

/// <summary>The m= sections of a session; keeps each one's <see cref="MediaDescription.Session"/> pointing at its owner.</summary>
public sealed class MediaDescriptionCollection : Collection<MediaDescription>
{
    private readonly SessionDescription _owner;

    internal MediaDescriptionCollection(SessionDescription owner) => _owner = owner;

    protected override void InsertItem(int index, MediaDescription item)
    {
        ArgumentNullException.ThrowIfNull(item);
        item.Session = _owner;
        base.InsertItem(index, item);
    }

    protected override void SetItem(int index, MediaDescription item)
    {
        ArgumentNullException.ThrowIfNull(item);
        this[index].Session = null;
        item.Session = _owner;
        base.SetItem(index, item);
    }

    protected override void RemoveItem(int index)
    {
        this[index].Session = null;
        base.RemoveItem(index);
    }

    protected override void ClearItems()
    {
        foreach (var item in this)
        {
            item.Session = null;
        }
        base.ClearItems();
    }
}
