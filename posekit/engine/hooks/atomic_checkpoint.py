"""Crash-safe checkpoints: ``kill -9`` at any moment leaves a resumable work dir.

mmengine's ``CheckpointHook`` deletes the oldest kept checkpoint *before* writing the new
one, writes straight to the final name and points ``last_checkpoint`` at a file that may not
be complete. :class:`AtomicCheckpointHook` keeps its options and file names but orders the
steps so that every moment has one complete checkpoint named by ``last_checkpoint``:

1. the checkpoint is written to a temporary file in the same folder, flushed (``fsync``)
   and renamed to its final name (:mod:`posekit.atomic_io`);
2. ``last_checkpoint`` is then replaced atomically;
3. only then is the checkpoint it supersedes (``max_keep_ckpts``, or the previous
   ``best_*.pth``) removed.

Temporary files of a killed save (``.epoch_3.pth.<random>.part.pth``) are removed when
training starts again.

Test-only: the environment variable ``POSEKIT_TEST_STALL_SAVE=<file name>:<seconds>`` (e.g.
``epoch_2.pth:60``) makes the save of that file wait so long after its temporary file is
written and before the rename, so a fault-injection test can kill the process inside a save
(tests/test_fault_injection.py). Never set it otherwise.
"""
import os
import os.path as osp
import time

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from posekit.atomic_io import commit_temp, stale_temp_files, temp_path_for, write_text_atomic
from posekit.registry import HOOKS

#: ``<file name>:<seconds>``: stall that save before its rename (tests only; see above).
STALL_ENV = 'POSEKIT_TEST_STALL_SAVE'


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` (same arguments) with atomic, ordered saves.

    Only local folders are supported (``out_dir`` on the file system).
    """

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if is_main_process():
            for tmp in stale_temp_files(self.out_dir):
                os.remove(tmp)
                runner.logger.info(f'removed the unfinished checkpoint {tmp}')

    def _write(self, runner, filename: str, **kwargs) -> str:
        """Save the runner's state as ``out_dir/filename`` through a temporary file.

        Args:
            runner: The mmengine Runner.
            filename: The final file name in ``out_dir``.
            **kwargs: ``save_optimizer``, ``save_param_scheduler``, ``meta``, ``by_epoch``.

        Returns:
            The final path (on every rank; only the main process writes).
        """
        path = osp.join(self.out_dir, filename)
        if not is_main_process():
            return path
        tmp = temp_path_for(path)
        try:
            runner.save_checkpoint(self.out_dir, osp.basename(tmp), backend_args=None,
                                   **kwargs)
            stall_name, _, seconds = os.environ.get(STALL_ENV, '').rpartition(':')
            if stall_name == filename:
                time.sleep(float(seconds))
            commit_temp(tmp, path)
        except BaseException:
            if osp.exists(tmp):
                os.remove(tmp)
            raise
        return path

    def _remove(self, path: str) -> None:
        if is_main_process() and osp.isfile(path):
            os.remove(path)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        superseded = None
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                superseded = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = osp.join(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        self._write(runner, filename, save_optimizer=self.save_optimizer,
                    save_param_scheduler=self.save_param_scheduler, meta=meta,
                    by_epoch=self.by_epoch, **self.args)
        if is_main_process():
            write_text_atomic(osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        if superseded is not None and superseded != step:
            self._remove(osp.join(self.out_dir, self.filename_tmpl.format(superseded)))

    def _save_best_checkpoint(self, runner, metrics) -> None:
        if not self.save_best:
            return
        if 'auto' in self.key_indicators:
            self._init_rule(self.rules, [list(metrics.keys())[0]])
        cur_type, cur_time = ('epoch', runner.epoch) if self.by_epoch else \
            ('iter', runner.iter)
        ckpt_filename = self.filename_tmpl.format(cur_time)
        meta = dict(epoch=runner.epoch, iter=runner.iter)
        updated = False
        single = len(self.key_indicators) == 1
        for key_indicator, rule in zip(self.key_indicators, self.rules):
            score_key = 'best_score' if single else f'best_score_{key_indicator}'
            path_key = 'best_ckpt' if single else f'best_ckpt_{key_indicator}'
            previous = self.best_ckpt_path if single else \
                self.best_ckpt_path_dict[key_indicator]
            best_score = runner.message_hub.get_info(score_key, self.init_value_map[rule])
            score = metrics[key_indicator]
            if score is None or not self.is_better_than[key_indicator](score, best_score):
                continue
            updated = True
            runner.message_hub.update_info(score_key, score)
            name = f'best_{key_indicator}_{ckpt_filename}'.replace('/', '_')
            path = osp.join(self.out_dir, name)
            if single:
                self.best_ckpt_path = path
            else:
                self.best_ckpt_path_dict[key_indicator] = path
            runner.message_hub.update_info(path_key, path)
            self._write(runner, name, save_optimizer=False, save_param_scheduler=False,
                        meta=meta, by_epoch=False)
            if previous and previous != path:
                self._remove(previous)
            runner.logger.info(f'The best checkpoint with {score:0.4f} {key_indicator} at '
                               f'{cur_time} {cur_type} is saved to {name}.')
        # save the latest checkpoint again so its message hub names the new best checkpoint
        if updated and self.last_ckpt is not None:
            self._save_checkpoint_with_step(runner, cur_time, meta)
