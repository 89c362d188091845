"""Imported only in the fork server of a local worker pool, to tie it to its command.

A pool rebuilt after a worker died, or started from a process that runs threads, forks its
workers from a fork server (:mod:`multiprocessing.forkserver`). The server stays alive as
long as any worker holds its pipe, and each worker, tied to its parent, stays alive as long
as the server does: after a ``kill -9`` of the command neither would end. Importing this
module (the pool's first preload) ties the server to the command, so that the kernel ends
it, and with it its workers, when the command ends. Nothing else imports it.
"""

from talentsim.runs.processes import die_with_parent

die_with_parent()
