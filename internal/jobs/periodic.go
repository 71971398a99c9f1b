package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// Task is a piece of periodic work: an idempotent method, safe to run
// beside itself and beside requests, that reports how many things it
// changed.
type Task struct {
	// Name identifies the task in the job's arguments and in logs.
	Name string
	// Every is the period between runs.
	Every time.Duration
	// Run does one run's work.
	Run func(ctx context.Context) (int, error)
}

// PeriodicArgs are the arguments of a periodic task's job.
type PeriodicArgs struct {
	Task string `json:"task"`
}

// Kind implements river.JobArgs.
func (PeriodicArgs) Kind() string { return "periodic_task" }

// periodicWorker runs a periodic job by its task's name.
type periodicWorker struct {
	river.WorkerDefaults[PeriodicArgs]
	tasks map[string]Task
	log   *slog.Logger
}

// Timeout bounds a run by its period, so a stuck run cannot overlap the
// next by much.
func (w *periodicWorker) Timeout(job *river.Job[PeriodicArgs]) time.Duration {
	if t, ok := w.tasks[job.Args.Task]; ok {
		return t.Every
	}
	return time.Minute
}

// Work runs the task.
func (w *periodicWorker) Work(ctx context.Context, job *river.Job[PeriodicArgs]) error {
	t, ok := w.tasks[job.Args.Task]
	if !ok {
		// A task removed in a newer release: nothing to do, ever.
		return river.JobCancel(fmt.Errorf("no periodic task %q", job.Args.Task))
	}
	n, err := t.Run(ctx)
	if n > 0 {
		w.log.InfoContext(ctx, "periodic task", slog.String("task", t.Name), slog.Int("changed", n))
	}
	if err != nil {
		return fmt.Errorf("periodic task %s: %w", t.Name, err)
	}
	return nil
}

// Periodic registers the tasks' worker in workers and returns their
// schedule, for Config.PeriodicJobs. River's leader (one client among
// all the workers sharing the database) inserts each task's job once per
// period, so a task runs once per period however many workers run;
// uniqueness by period keeps a slow run from piling up more. A failed run
// is not retried: the next period runs the task again.
func Periodic(workers *river.Workers, log *slog.Logger, tasks ...Task) ([]*river.PeriodicJob, error) {
	byName := make(map[string]Task, len(tasks))
	var schedule []*river.PeriodicJob
	for _, t := range tasks {
		if t.Name == "" || t.Every <= 0 || t.Run == nil {
			return nil, errors.New("jobs: a periodic task needs a name, a period and a function")
		}
		if _, dup := byName[t.Name]; dup {
			return nil, fmt.Errorf("jobs: periodic task %q twice", t.Name)
		}
		byName[t.Name] = t
		opts := &river.InsertOpts{
			MaxAttempts: 1,
			UniqueOpts:  river.UniqueOpts{ByArgs: true, ByPeriod: t.Every},
		}
		schedule = append(schedule, river.NewPeriodicJob(
			river.PeriodicInterval(t.Every),
			func() (river.JobArgs, *river.InsertOpts) { return PeriodicArgs{Task: t.Name}, opts },
			&river.PeriodicJobOpts{ID: t.Name, RunOnStart: true},
		))
	}
	if err := river.AddWorkerSafely(workers, &periodicWorker{tasks: byName, log: log}); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return schedule, nil
}
