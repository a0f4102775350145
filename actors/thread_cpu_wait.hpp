#pragma once
/// How long the calling thread has been runnable but waiting for a core (Linux schedstat
/// run_delay). A released worker on a machine with fewer cores than workers often waits for a
/// core before it runs; that wait is CPU oversubscription, not message latency, and the
/// accounting keeps the two apart.

namespace hetsgd {

/// Cumulative runqueue wait of this thread, seconds; negative if the kernel does not say.
double thread_runqueue_wait_s();

}  // namespace hetsgd
