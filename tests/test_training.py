"""The shared fit loop: budget, atomic checkpoints, exact resume, rollback on divergence."""
import os
import re
import stat

import pytest
import torch

from aad.serialization import flatten_state, load_state, save_state, write_json
from aad.training import DivergenceError, GeneratorState, TrainLoop


def make_problem(seed=0):
    g = torch.Generator().manual_seed(seed)
    model = torch.nn.Linear(4, 1)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    data_g = torch.Generator().manual_seed(seed)

    def step(i):
        x = torch.randn(16, 4, generator=data_g)
        loss = ((model(x) - x.sum(1, keepdim=True)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return {"loss": loss.item()}

    state = {"model": model, "opt": opt, "data_rng": GeneratorState(data_g)}
    return model, step, state


def test_resume_continues_exactly(tmp_path):
    straight, step, state = make_problem()
    TrainLoop(state, steps=60, progress=False).run(step)

    resumed, step, state = make_problem()
    TrainLoop(state, steps=30, checkpoint_dir=tmp_path, checkpoint_every=10, progress=False).run(step)
    resumed, step, state = make_problem()  # a fresh process: everything comes from the checkpoint
    calls = []
    done = TrainLoop(state, steps=60, checkpoint_dir=tmp_path, checkpoint_every=10, progress=False).run(
        lambda i: calls.append(i) or step(i))
    assert done == 60 and calls == list(range(30, 60))   # not started over: that too ends where straight does
    for a, b in zip(straight.parameters(), resumed.parameters()):
        assert torch.allclose(a, b)


def test_no_resume_starts_over(tmp_path):
    _, step, state = make_problem()
    TrainLoop(state, steps=20, checkpoint_dir=tmp_path, progress=False).run(step)
    _, step, state = make_problem()
    calls = []
    TrainLoop(state, steps=5, checkpoint_dir=tmp_path, resume=False, progress=False).run(
        lambda i: calls.append(i) or step(i))
    assert calls == [0, 1, 2, 3, 4]


def test_time_budget_stops_early():
    _, step, state = make_problem()
    done = TrainLoop(state, steps=10**9, seconds=0.2, progress=False).run(step)
    assert 0 < done < 10**9


def test_rollback_on_non_finite_loss_restores_last_good_state():
    model, step, state = make_problem()
    rollbacks = []
    poisoned = {37}

    def flaky(i):
        out = step(i)
        if i in poisoned:
            poisoned.clear()
            with torch.no_grad():
                model.weight.fill_(float("nan"))
            return {"loss": float("nan")}
        return out

    loop = TrainLoop(state, steps=50, checkpoint_every=10, progress=False, on_rollback=rollbacks.append)
    assert loop.run(flaky) == 50
    assert rollbacks == [1]
    assert torch.isfinite(model.weight).all()


def test_persistent_divergence_raises():
    _, _, state = make_problem()
    with pytest.raises(DivergenceError, match="after 2 rollbacks"):
        TrainLoop(state, steps=10, max_rollbacks=2, progress=False).run(lambda i: {"loss": float("inf")})


def test_state_round_trip_keeps_types(tmp_path):
    _, step, state = make_problem()
    step(0)
    saved = state["opt"].state_dict()
    save_state(tmp_path / "s.safetensors", {"opt": saved, "note": "x", "n": 3})
    back = load_state(tmp_path / "s.safetensors")
    assert back["note"] == "x" and back["n"] == 3
    assert set(back["opt"]["state"].keys()) == set(saved["state"].keys())  # int keys survive
    assert torch.equal(back["opt"]["state"][0]["exp_avg"], saved["state"][0]["exp_avg"])
    assert not list(tmp_path.glob("*.tmp")), "atomic write leaves no temporary files"


def test_fraction_done_follows_steps_or_seconds_whichever_is_further():
    seen = []
    loop = TrainLoop({}, steps=4, progress=False)
    loop.run(lambda i: seen.append(loop.fraction_done(i)) or {"loss": 0.0})
    assert seen == [0.0, 0.25, 0.5, 0.75]
    timed = TrainLoop({}, steps=10**9, seconds=0.05, progress=False)
    timed.run(lambda i: seen.append(timed.fraction_done(i)) or {"loss": 0.0})
    assert 0.5 < seen[-1] <= 1.0 and timed.fraction_done(0) == 1.0  # after the deadline: all spent


def test_checkpoint_of_another_fit_is_refused(tmp_path):
    _, step, state = make_problem()
    TrainLoop(state, steps=5, checkpoint_dir=tmp_path, progress=False, fingerprint={"data": "a", "lr": "1"}).run(step)
    _, step, state = make_problem()
    other = TrainLoop(state, steps=10, checkpoint_dir=tmp_path, progress=False, fingerprint={"data": "b", "lr": "1"})
    with pytest.raises(ValueError, match=re.escape(f"checkpoint_dir {str(tmp_path)!r}")) as info:
        other.run(step)
    assert "data: a in the checkpoint, b now" in str(info.value) and "lr" not in str(info.value)
    assert "new checkpoint_dir" in str(info.value)
    assert load_state(other.checkpoint_path)["step"] == 5, "the refused checkpoint is left as it was"
    # the same fingerprint with a larger budget continues; resume=False starts over and overwrites
    assert TrainLoop(state, steps=8, checkpoint_dir=tmp_path, progress=False,
                     fingerprint={"data": "a", "lr": "1"}).run(step) == 8
    other.resume = False
    assert other.run(step) == 10 and load_state(other.checkpoint_path)["fingerprint"]["data"] == "b"


def test_a_fingerprint_of_any_saveable_values_resumes(tmp_path):
    """A tuple comes back from the checkpoint as a list: compared as saved, the fit still resumes."""
    _, step, state = make_problem()
    fingerprint = {"shape": (1, 28, 28), "lr": 2e-3, "steps": 3}
    TrainLoop(state, steps=3, checkpoint_dir=tmp_path, progress=False, fingerprint=fingerprint).run(step)
    calls = []
    TrainLoop(state, steps=5, checkpoint_dir=tmp_path, progress=False,
              fingerprint=fingerprint).run(lambda i: calls.append(i) or step(i))
    assert calls == [3, 4]


def test_checkpoint_without_fingerprint_is_refused_when_one_is_expected(tmp_path):
    _, step, state = make_problem()
    TrainLoop(state, steps=3, checkpoint_dir=tmp_path, progress=False).run(step)   # as older versions wrote
    with pytest.raises(ValueError, match="no fingerprint"):
        TrainLoop(state, steps=6, checkpoint_dir=tmp_path, progress=False, fingerprint={"data": "a"}).run(step)


def test_time_budget_is_saved_and_resumed(tmp_path):
    _, step, state = make_problem()
    first = TrainLoop(state, steps=10**9, seconds=0.2, checkpoint_dir=tmp_path, progress=False)
    done = first.run(step)
    assert load_state(first.checkpoint_path)["elapsed"] >= 0.2
    calls = []
    again = TrainLoop(state, steps=10**9, seconds=0.2, checkpoint_dir=tmp_path, progress=False)
    assert again.run(lambda i: calls.append(i) or step(i)) == done and calls == [], "the budget is spent"
    longer = TrainLoop(state, steps=10**9, seconds=0.6, checkpoint_dir=tmp_path, progress=False)
    seen = []
    longer.run(lambda i: seen.append(longer.fraction_done(i)) or step(i))
    assert seen and seen[0] >= 0.2 / 0.6, "the schedule counts the seconds spent before the resume"


def test_interrupt_saves_the_last_consistent_state(tmp_path):
    straight, step, state = make_problem()
    TrainLoop(state, steps=30, progress=False).run(step)

    _, step, state = make_problem()

    def interrupted(i):
        out = step(i)  # step 13 updates the model, then Ctrl-C arrives before it returns
        if i == 13:
            raise KeyboardInterrupt
        return out

    loop = TrainLoop(state, steps=30, checkpoint_dir=tmp_path, checkpoint_every=100, snapshot_every=5,
                     progress=False)
    with pytest.raises(KeyboardInterrupt):
        loop.run(interrupted)
    assert load_state(loop.checkpoint_path)["step"] == 10, "the last snapshot, not the half-done step"
    resumed, step, state = make_problem()
    TrainLoop(state, steps=30, checkpoint_dir=tmp_path, checkpoint_every=100, progress=False).run(step)
    for a, b in zip(straight.parameters(), resumed.parameters()):
        assert torch.allclose(a, b)


def test_the_rollback_count_is_saved_and_resumed(tmp_path):
    """What depends on it (the GAN halves its lr at each rollback) must go on as it was after a resume."""
    _, step, state = make_problem()
    poisoned = {7}

    def flaky(i):
        out = step(i)
        if i in poisoned:
            poisoned.clear()
            return {"loss": float("nan")}
        return out

    first = TrainLoop(state, steps=10, checkpoint_dir=tmp_path, checkpoint_every=5, progress=False)
    first.run(flaky)
    assert first.rollbacks == 1 and load_state(first.checkpoint_path)["rollbacks"] == 1
    resumed = TrainLoop(state, steps=20, checkpoint_dir=tmp_path, progress=False)
    counts = []
    resumed.run(lambda i: counts.append(resumed.rollbacks) or step(i))
    assert counts[0] == 1 and resumed.rollbacks == 1


def test_saved_files_get_the_mode_open_gives_a_new_file(tmp_path):
    """mkstemp makes 0o600 files: a model saved to a shared folder must be as readable as any file."""
    (tmp_path / "plain").touch()
    save_state(tmp_path / "s.safetensors", {"n": 1})
    write_json(tmp_path / "c.json", {"n": 1})
    modes = {name: stat.S_IMODE(os.stat(tmp_path / name).st_mode)
             for name in ("plain", "s.safetensors", "c.json")}
    assert len(set(modes.values())) == 1, modes


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names open files through /proc")
def test_a_saved_file_reaches_the_disk_before_its_name_points_at_it(tmp_path, monkeypatch):
    """A checkpoint renamed into place before its data is written can come back empty after a power
    cut: the file is fsynced before the rename, and the folder after it."""
    events = []
    fsync, replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: events.append(("fsync", os.path.basename(os.readlink(
        f"/proc/self/fd/{fd}")))) or fsync(fd))
    monkeypatch.setattr(os, "replace", lambda a, b: events.append(("replace", os.path.basename(b))) or replace(a, b))
    write_json(tmp_path / "c.json", {"n": 1})
    assert [e[0] for e in events] == ["fsync", "replace", "fsync"]
    assert events[0][1].startswith(".c.json.") and events[2][1] == tmp_path.name


def test_a_resumed_fit_keeps_the_loss_history_of_the_steps_before(tmp_path):
    _, step, state = make_problem()
    straight = TrainLoop(state, steps=60, progress=False)
    straight.run(step)
    _, step, state = make_problem()
    TrainLoop(state, steps=30, checkpoint_dir=tmp_path, checkpoint_every=10, progress=False).run(step)
    _, step, state = make_problem()
    resumed = TrainLoop(state, steps=60, checkpoint_dir=tmp_path, checkpoint_every=10, progress=False)
    resumed.run(step)
    assert [h["step"] for h in resumed.history] == [25, 50]
    assert resumed.history == pytest.approx(straight.history)


def test_a_checkpoint_beyond_the_budget_is_refused(tmp_path):
    _, step, state = make_problem()
    TrainLoop(state, steps=40, checkpoint_dir=tmp_path, checkpoint_every=10, progress=False).run(step)
    _, step, state = make_problem()
    with pytest.raises(ValueError, match="fit of 40 steps, more than steps=20"):
        TrainLoop(state, steps=20, checkpoint_dir=tmp_path, progress=False).run(step)
    assert TrainLoop(state, steps=40, checkpoint_dir=tmp_path, progress=False).run(step) == 40, "the same budget"


def test_flatten_state_refuses_two_entries_of_one_name():
    # {"a": {"b": t}} and {"a.b": t} were both "state.a.b": the last one won, the other was lost
    with pytest.raises(ValueError, match="two entries have the name 'state.a.b'"):
        flatten_state({"a": {"b": torch.ones(1)}, "a.b": torch.zeros(1)})
