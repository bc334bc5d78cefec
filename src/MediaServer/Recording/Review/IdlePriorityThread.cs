using System.Runtime.InteropServices;

namespace MediaServer.Recording.Review;

/// <summary>
/// Runs the part of a render done in this process (reading the journal, writing each video track's IVF, decoding each Opus
/// track to WAV) on a thread of its own under SCHED_IDLE, the policy the FFmpeg child gets through <c>chrt --idle</c>
/// (sched(7); a thread may always lower its own policy, pid 0 of sched_setscheduler(2) is the calling thread). On the pool it
/// ran at the relay's priority: measured with 500 streams on one core, a pool worker decoding took a third of the core from
/// the I/O thread for seconds. Where the policy cannot be set (not Linux, a seccomp filter) the work runs at normal priority.
/// </summary>
internal static partial class IdlePriorityThread
{
    private const int SchedIdle = 5;

    /// <summary>Runs <paramref name="work"/> on a new background thread, lowered first when <paramref name="lower"/>.</summary>
    public static Task<T> Run<T>(string name, bool lower, Func<T> work, CancellationToken cancellation)
    {
        if (cancellation.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellation);
        }
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            if (lower)
            {
                TryLowerCurrentThread();
            }
            try
            {
                done.TrySetResult(work());
            }
            catch (OperationCanceledException e)
            {
                done.TrySetCanceled(e.CancellationToken);
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>Puts the calling thread under SCHED_IDLE; false where that is not possible.</summary>
    public static bool TryLowerCurrentThread()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        var priority = 0; // struct sched_param { int sched_priority; }: 0 for SCHED_IDLE
        return SetScheduler(0, SchedIdle, ref priority) == 0;
    }

    /// <summary>The calling thread's policy (sched_getscheduler(2)), for tests; -1 off Linux.</summary>
    public static int CurrentPolicy() => OperatingSystem.IsLinux() ? GetScheduler(0) : -1;

    /// <summary>SCHED_IDLE's number.</summary>
    public static int IdlePolicy => SchedIdle;

    [LibraryImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static partial int SetScheduler(int pid, int policy, ref int priority);

    [LibraryImport("libc", EntryPoint = "sched_getscheduler", SetLastError = true)]
    private static partial int GetScheduler(int pid);
}
