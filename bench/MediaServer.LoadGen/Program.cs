Console.WriteLine("load generator: not written yet");
