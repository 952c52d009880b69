"""Decode ahead of the model in a background thread, when that does not slow the model.

decord and OpenCV release the GIL while decoding and resizing, so a decode thread overlaps
with the model; a thread (not DataLoader workers) also means no video reader ever crosses a
``fork`` and every frame is decoded once, sequentially. It pays off when the model runs on an
accelerator or the CPU has cores beyond torch's threads. When torch's threads already use
every core, a third busy thread only stalls them (on a 2-core machine the thread lowered
throughput by up to a third, DataLoader workers likewise; docs/benchmarks.md), so
:func:`spare_cpu` tells the predictor to decode between model calls instead.
"""
import os
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

import torch


class Prefetcher:
    """Run an iterator in a daemon thread and hand its items over through a bounded queue.

    The iterator is created inside the thread (so a video reader it opens belongs to it). An
    exception in the thread is raised in the consumer; leaving the ``with`` block early stops
    the thread.

    Args:
        make_iterator: Creates the iterator, called in the thread.
        size: Items kept ready ahead of the consumer.
    """

    _DONE = object()

    def __init__(self, make_iterator: Callable[[], Iterator], size: int):
        self._queue: queue.Queue = queue.Queue(maxsize=size)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(make_iterator,), daemon=True,
                                        name='posekit-decode')

    def _run(self, make_iterator: Callable[[], Iterator]) -> None:
        try:
            for item in make_iterator():
                if not self._put(item):
                    return
        except BaseException as error:  # noqa: B036  (re-raised in the consumer)
            self._put(error)
            return
        self._put(self._DONE)

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator:
        while True:
            item = self._queue.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def __enter__(self) -> 'Prefetcher':
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def spare_cpu(device: torch.device) -> bool:
    """Whether decoding in a thread can overlap with the model without slowing it.

    Args:
        device: The model's device.

    Returns:
        True for accelerators, and for the CPU when this process may use more cores than
        torch's intra-op threads.
    """
    if device.type != 'cpu':
        return True
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') \
        else os.cpu_count() or 1
    return cores > torch.get_num_threads()
