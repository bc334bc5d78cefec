namespace MediaServer.Codecs; internal static class Placeholder { }
