"""Warm Jupyter kernels for the report batch: started once per worker, reused for every notebook.

A report notebook spends most of a fresh run starting a kernel and importing
geopandas, matplotlib, folium and the library. :class:`WarmKernel` starts one
kernel per worker thread (in the project folder, the library imported), and
:class:`WarmEngine`, a papermill engine registered as ``"mgg-warm"``, runs
each notebook on the kernel of the thread that executes it.

Between notebooks the kernel is reset so that a report on a warm kernel
equals one on a fresh kernel: the shell starts a new session (user
namespace cleared, execution counter at 1; imported
modules stay loaded, which is the point), figures are closed and the
warnings already shown are forgotten. A kernel that died is replaced by a new one before the next
notebook.

Two settings make the reuse cheaper (together 6-13 % of the CPU of a batch of all reports, in two sets of runs
taken in turns): the kernels keep no IPython history (no SQLite file in the user's profile, which parallel
kernels would write at once; the batch's notebooks are saved in full anyway), and after the warm-up the loaded
modules are moved out of the garbage collector's reach (``gc.freeze``, after a collection), so the full
collection of every reset, and every later one, only looks at what the notebooks made. Without a history
IPython still keeps each cell's source for writing it out, which it then never does: the reset empties that
list.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading

from mgg_geo import settings

#: The papermill engine names: notebooks on this thread's warm kernel, or on a new kernel each.
ENGINE, FRESH_ENGINE = "mgg-warm", "mgg-fresh"
#: Run once when a kernel starts: what every report notebook imports.
WARM_UP = """
import geopandas, matplotlib, matplotlib.pyplot, folium, pandas
from mgg_geo import analysis, reports, maps, webmap
from mgg_geo.present import sections, pages
import gc
gc.collect()
gc.freeze()
"""
#: Options of every batch kernel (module docstring): no IPython history.
KERNEL_OPTIONS = ("--HistoryManager.enabled=False",)
#: Run before every notebook (not stored in the history): a fresh namespace on loaded modules.
RESET = """
get_ipython().reset(new_session=True)
get_ipython().history_manager.db_input_cache.clear()  # without history nothing else empties it
get_ipython().history_manager.db_output_cache.clear()
import sys as _sys
import matplotlib.pyplot as _plt
_plt.close("all")
for _module in list(_sys.modules.values()):
    try:
        _module.__dict__.pop("__warningregistry__", None)
    except Exception:
        pass
_sys.modules["mgg_geo.data.cache"]._WARNED.clear()
del _sys, _plt, _module
"""


class KernelError(RuntimeError):
    """A warm kernel could not be started or reset (the batch then retries on a new one)."""


class WarmKernel:
    """One running kernel and its client, owned by one thread (papermill runs its notebooks there)."""

    _local = threading.local()

    def __init__(self, kernel_name: str, *, start_timeout: float = 120):
        from jupyter_client.manager import AsyncKernelManager

        self.kernel_name = kernel_name
        self.start_timeout = start_timeout
        # IPC sockets in a folder of our own: local to this machine, no TCP port (and no warning about one)
        self.folder = tempfile.mkdtemp(prefix="mgg-kernel-")
        self.km = AsyncKernelManager(kernel_name=kernel_name, transport="ipc", ip=os.path.join(self.folder, "k"))
        self.kc = None
        self.notebooks = 0

    @classmethod
    def current(cls, kernel_name: str, start_timeout: float = 120) -> WarmKernel:
        """The warm kernel of this thread: started (and warmed up) on first use, replaced when it died."""
        kernel = getattr(cls._local, "kernel", None)
        if kernel is not None and (kernel.kernel_name != kernel_name or not kernel.alive()):
            kernel.shutdown()
            kernel = None
        if kernel is None:
            kernel = cls(kernel_name, start_timeout=start_timeout)
            cls._local.kernel = kernel
            kernel.start()
        return kernel

    @classmethod
    def release(cls) -> None:
        """Shut down this thread's kernel, if it has one."""
        kernel = getattr(cls._local, "kernel", None)
        cls._local.kernel = None
        if kernel is not None:
            kernel.shutdown()

    def _sync(self, coroutine_function, *args, **kwargs):
        from jupyter_core.utils import run_sync

        return run_sync(coroutine_function)(*args, **kwargs)

    def start(self, *, warm_up: bool = True) -> None:
        """Start the kernel in the project folder and (``warm_up``) import what the report notebooks use."""
        try:
            from mgg_geo.analysis import memo  # the batch's run: its notebooks find its online analysis

            self._sync(self.km.start_kernel, cwd=str(settings.PROJECT_ROOT), extra_arguments=list(KERNEL_OPTIONS),
                       env={**os.environ, memo.RUN_ENV: memo.RUN_ID})
            self.kc = self.km.client()
            self.kc.start_channels()
            self._sync(self.kc.wait_for_ready, timeout=self.start_timeout)
            if warm_up:
                self.run(WARM_UP)
        except Exception as exc:
            self.shutdown()
            raise KernelError(f"the kernel {self.kernel_name!r} did not start: {type(exc).__name__}: {exc}") from exc

    def run(self, code: str) -> None:
        """Run ``code`` on the kernel without storing it in the history; raise when it fails."""
        reply = self._sync(self.kc.execute_interactive, code, store_history=False, silent=False,
                           timeout=self.start_timeout, output_hook=lambda msg: None)
        if reply["content"].get("status") != "ok":
            content = reply["content"]
            raise KernelError(f"{content.get('ename', 'error')}: {content.get('evalue', '')}")

    def reset(self) -> None:
        """A fresh namespace before the next notebook (see the module docstring)."""
        self.run(RESET)
        self.notebooks += 1

    def alive(self) -> bool:
        """Whether the kernel process still runs."""
        try:
            return bool(self._sync(self.km.is_alive))
        except Exception:  # noqa: BLE001 - a kernel we cannot ask is not usable
            return False

    def shutdown(self) -> None:
        """Stop the client and the kernel (quietly when they are gone already)."""
        try:
            if self.kc is not None:
                self.kc.stop_channels()
            if self.km.has_kernel:
                self._sync(self.km.shutdown_kernel, now=True)
        except Exception:  # noqa: BLE001 - a kernel that is already gone is shut down
            pass
        finally:
            self.kc = None
            shutil.rmtree(self.folder, ignore_errors=True)  # our own socket folder


def _engine():
    """Define and register :class:`WarmEngine` (papermill is imported only when the batch runs)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class OnceManager(NotebookExecutionManager):
        """Writes the executed notebook once, when it is complete (also after a failed cell or a dead kernel).

        papermill writes the whole notebook at the start and end of every cell, which costs more than most
        report cells; the batch writes to a temporary file that only becomes the notebook when complete, so
        the intermediate states are never seen.
        """

        complete = False

        def save(self, **kwargs):
            if self.complete:
                super().save(**kwargs)

        def notebook_complete(self, **kwargs):
            self.complete = True
            super().notebook_complete(**kwargs)

    class WarmEngine(NBClientEngine):
        """Runs a notebook on this thread's :class:`WarmKernel` (reset first) instead of a new kernel."""

        reuse = True

        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                             autosave_cell_every=30, **kwargs):
            nb_man = OnceManager(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                                 autosave_cell_every=autosave_cell_every)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                     start_timeout=60, execution_timeout=None, **kwargs):
            if cls.reuse:
                kernel = WarmKernel.current(kernel_name, start_timeout)
                kernel.reset()
            else:
                kernel = WarmKernel(kernel_name, start_timeout=start_timeout)
                kernel.start(warm_up=False)
            try:
                kwargs = remove_args(["input_path", "timeout", "startup_timeout", "cwd"], **kwargs)
                final = merge_kwargs(kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                                     kernel_name=kernel_name, log=logger, log_output=log_output,
                                     stdout_file=stdout_file, stderr_file=stderr_file)
                client = PapermillNotebookClient(nb_man, km=kernel.km, **final)
                client.kc = kernel.kc  # our client: nbclient neither starts nor stops a kernel
                return client.execute()
            finally:
                if not cls.reuse:
                    kernel.shutdown()

    class FreshEngine(WarmEngine):
        """Runs a notebook on a new kernel of its own (same transport and start as the warm kernels)."""

        reuse = False

    papermill_engines.register(ENGINE, WarmEngine)
    papermill_engines.register(FRESH_ENGINE, FreshEngine)
    return WarmEngine


def register() -> str:
    """Register the warm engine with papermill (once) and return its name."""
    from papermill.engines import papermill_engines
    from papermill.exceptions import PapermillException

    try:
        papermill_engines.get_engine(ENGINE)
    except PapermillException:
        _engine()
    return ENGINE
