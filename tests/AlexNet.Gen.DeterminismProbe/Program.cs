using System;
using System.Globalization;
using AlexNet.Gen.DeterminismProbe;

// Usage: AlexNet.Gen.DeterminismProbe <seed> <threads> <steps>; prints one line, the parameters' SHA-256.
if (args.Length != 3
    || !int.TryParse(args[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed)
    || !int.TryParse(args[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int threads)
    || !int.TryParse(args[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out int steps))
{
    Console.Error.WriteLine("usage: AlexNet.Gen.DeterminismProbe <seed> <threads> <steps>");
    return 2;
}
try
{
    Console.WriteLine(ProbeTraining.ParameterHash(seed, threads, steps));
    return 0;
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
