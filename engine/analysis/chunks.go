package analysis

import "gradevault/engine/event"

// PlanChunks splits total frames into chunks with the original worker's
// formula: min(10, max(2, total/30)) chunks of total/chunks frames, the last
// one running to the end. Unlike the original, a chunk here is the set of
// frames whose metrics it reports; the worker also decodes the frame before
// Start, only to give Start its true motion.
func PlanChunks(total int) []event.Chunk {
	if total <= 0 {
		return nil
	}
	n := min(10, max(2, total/30))
	size := total / n
	if size == 0 {
		return []event.Chunk{{Index: 0, Start: 0, End: total}}
	}
	chunks := make([]event.Chunk, n)
	for i := range chunks {
		chunks[i] = event.Chunk{Index: i, Start: i * size, End: (i + 1) * size}
	}
	chunks[n-1].End = total
	return chunks
}
