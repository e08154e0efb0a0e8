using System.Collections.Generic;
using AlexNet.Gen.Checkpoints;
using AlexNet.Gen.Training;

namespace AlexNet.Gen.Tests.Integration;

/// <summary>
/// A training checkpoint as a user would write one: the parameters, the trainer's state tensors (optimizer
/// buffers) as extra tensors, and its metadata (counters, shuffle and model RNG states, schedule, history).
/// </summary>
internal static class TrainingCheckpoint
{
    public static void Save(string path, Trainer trainer)
    {
        TrainingState state = trainer.GetState();
        var extras = new List<NamedTensor>();
        foreach (var t in state.Tensors) extras.Add(new NamedTensor(t.Name, t.Shape, t.Data));
        Checkpoint.Save(path, trainer.Network.Parameters, state.Metadata, extras);
    }

    /// <summary>Loads the parameters into the trainer's network and restores the rest into the trainer.</summary>
    public static void Load(string path, Trainer trainer)
    {
        CheckpointContents contents = Checkpoint.Load(path, trainer.Network.Parameters);
        var state = new TrainingState();
        foreach (var (key, value) in contents.Metadata) state.Metadata[key] = value;
        foreach (var t in contents.Tensors) state.AddTensor(new StateTensor(t.Name, t.Shape, t.Data));
        trainer.SetState(state);
    }
}
