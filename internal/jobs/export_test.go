package jobs

// StopAbandoningAfter is Stop with a shorter wait for jobs that ignore
// their cancellation.
var StopAbandoningAfter = stop
