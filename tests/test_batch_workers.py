"""How many workers (each with a warm kernel) a batch starts: one per three notebooks, at most ``workers``."""
import threading
import time

import pytest

from mgg_geo import batch


@pytest.mark.parametrize("jobs, workers, warm, expected", [
    (1, 2, True, 1), (2, 2, True, 1), (3, 2, True, 1), (4, 2, True, 2), (11, 2, True, 2), (11, 8, True, 4),
    (7, 1, True, 1), (2, 2, False, 2), (3, 8, False, 3)])
def test_a_batch_starts_a_worker_per_three_notebooks(jobs, workers, warm, expected, tmp_path, monkeypatch):
    threads, ran = set(), []

    def execute(job, out, **kw):
        threads.add(threading.current_thread().name)
        ran.append(job.key)
        time.sleep(0.05)  # long enough for every thread started to take a job
        return batch.Outcome(job, ok=True, seconds=0.0)

    monkeypatch.setattr(batch, "execute", execute)
    todo = [batch.Job(f"GM{i:04d}", tmp_path / "nb.ipynb", f"n{i}", {}) for i in range(jobs)]
    (tmp_path / "data").mkdir()
    done = []
    batch._run_jobs(todo, tmp_path, workers=workers, retries=0, warm=warm, done=done.append)
    assert batch.NOTEBOOKS_PER_KERNEL == 3
    assert len(threads) == expected and sorted(ran) == sorted(j.key for j in todo) and len(done) == jobs
