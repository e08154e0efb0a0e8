using System;

namespace AlexNet.Gen.Training;

public sealed partial class Trainer
{
    /// <summary>
    /// Everything besides the parameters needed to resume: the optimizer's tensors and metadata, the schedule's
    /// metadata and the trainer's (<c>trainer.*</c>: epoch, step, shuffle and model generators, the running
    /// sums of a part-done epoch, early-stopping state, history). Store it with the parameters in a checkpoint.
    /// </summary>
    public TrainingState GetState()
    {
        var state = new TrainingState();
        WriteState(state);
        return state;
    }

    /// <summary>Adds the state described at <see cref="GetState"/> to <paramref name="state"/>.</summary>
    public void WriteState(TrainingState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.SetInt64("trainer.epoch", Epoch);
        state.SetInt64("trainer.step_in_epoch", StepInEpoch);
        state.SetInt64("trainer.global_step", GlobalStep);
        state.SetInt64("trainer.batch_size", _options.BatchSize);
        state.SetInt64("trainer.sample_count", _trainingData.Count);
        // Mid-epoch the generator has already shuffled this epoch; the epoch's starting state regenerates it.
        state.SetWords("trainer.shuffle_random", StepInEpoch > 0 ? _epochStartRandom : ShuffleRandom.GetState());
        state.SetWords("trainer.model_random", _network.Random.GetState());
        state.SetDouble("trainer.epoch_loss_sum", _epochLossSum);
        state.SetInt64("trainer.epoch_correct", _epochCorrect);
        state.SetInt64("trainer.epoch_seen", _epochSeen);
        state.SetDouble("trainer.epoch_seconds", _epochSeconds);
        state.SetDouble("trainer.best_metric", _bestMetric);
        state.SetInt64("trainer.bad_epochs", _badEpochs);
        state.SetInt64("trainer.best_epoch", History.BestEpoch);
        state.Metadata["trainer.history"] = History.ToCsv();
        _optimizer.WriteState(state);
        _schedule?.WriteState(state);
    }

    /// <summary>
    /// Restores a state from <see cref="GetState"/> (the parameters are restored separately). The trainer's own
    /// entries are validated first; the optimizer and schedule then validate theirs before changing anything.
    /// A part-done epoch resumes only with the same batch size and training-set size.
    /// </summary>
    public void SetState(TrainingState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        long epoch = state.GetInt64("trainer.epoch");
        long stepInEpoch = state.GetInt64("trainer.step_in_epoch");
        long globalStep = state.GetInt64("trainer.global_step");
        long batchSize = state.GetInt64("trainer.batch_size");
        long sampleCount = state.GetInt64("trainer.sample_count");
        ulong[] shuffle = state.GetWords("trainer.shuffle_random");
        ulong[] model = state.GetWords("trainer.model_random");
        double lossSum = state.GetDouble("trainer.epoch_loss_sum");
        long correct = state.GetInt64("trainer.epoch_correct");
        long seen = state.GetInt64("trainer.epoch_seen");
        double seconds = state.GetDouble("trainer.epoch_seconds");
        double best = state.GetDouble("trainer.best_metric");
        long badEpochs = state.GetInt64("trainer.bad_epochs");
        long bestEpoch = state.GetInt64("trainer.best_epoch");
        var history = TrainingHistory.ParseCsv(state.GetString("trainer.history"));

        if (epoch < 0 || epoch > int.MaxValue) throw new ArgumentException($"trainer.epoch {epoch} is out of range.", nameof(state));
        if (globalStep < 0) throw new ArgumentException($"trainer.global_step {globalStep} is negative.", nameof(state));
        if (stepInEpoch < 0 || stepInEpoch >= StepsPerEpoch)
            throw new ArgumentException($"trainer.step_in_epoch {stepInEpoch} lies outside [0, {StepsPerEpoch}).", nameof(state));
        if (stepInEpoch > 0 && (batchSize != _options.BatchSize || sampleCount != _trainingData.Count))
            throw new ArgumentException($"The state stopped mid-epoch with batch size {batchSize} over {sampleCount} samples; this trainer has {_options.BatchSize} over {_trainingData.Count}.", nameof(state));
        if (correct < 0 || seen < 0 || correct > seen) throw new ArgumentException($"Epoch counts {correct}/{seen} are invalid.", nameof(state));
        if (badEpochs < 0 || badEpochs > int.MaxValue) throw new ArgumentException($"trainer.bad_epochs {badEpochs} is out of range.", nameof(state));
        if (bestEpoch < -1 || bestEpoch > int.MaxValue) throw new ArgumentException($"trainer.best_epoch {bestEpoch} is out of range.", nameof(state));
        // A scratch generator checks both RNG states before the real ones change.
        var probe = new SeededRandom(0);
        probe.SetState(shuffle);
        probe.SetState(model);
        if (_schedule is null && state.Metadata.TryGetValue("schedule.type", out string? scheduleType))
            throw new ArgumentException($"The state holds a {scheduleType} schedule but this trainer has none.", nameof(state));

        _optimizer.ReadState(state);
        _schedule?.ReadState(state);

        Epoch = (int)epoch;
        StepInEpoch = (int)stepInEpoch;
        GlobalStep = globalStep;
        ShuffleRandom.SetState(shuffle);
        _epochStartRandom = shuffle;
        _network.Random.SetState(model);
        _epochLossSum = lossSum;
        _epochCorrect = correct;
        _epochSeen = seen;
        _epochSeconds = seconds;
        _bestMetric = best;
        _badEpochs = (int)badEpochs;
        _lastLearningRate = _optimizer.LearningRate;
        History.Clear();
        foreach (var row in history) History.Add(row);
        History.BestEpoch = (int)bestEpoch;
    }
}
