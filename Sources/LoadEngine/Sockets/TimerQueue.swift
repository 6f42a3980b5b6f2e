/// The socket loop's timers: a binary min-heap by deadline, first in first out among equal
/// deadlines. A cancelled timer is only marked; it leaves the heap when it reaches the top.
/// Pure: no clock and no threads, so tests drive it alone.
struct TimerQueue<Payload> {
    struct Entry {
        var deadline: UInt64
        /// Order of scheduling: the tie-breaker, and the timer's identity for cancelling.
        var sequence: UInt64
        var payload: Payload
    }

    private var heap: [Entry] = []
    /// Timers scheduled and neither fired nor cancelled.
    private var live: Set<UInt64> = []
    private var nextSequence: UInt64 = 0

    var count: Int { live.count }

    /// Adds a timer; the number returned cancels it.
    mutating func schedule(at deadline: UInt64, _ payload: Payload) -> UInt64 {
        let sequence = nextSequence
        nextSequence += 1
        heap.append(Entry(deadline: deadline, sequence: sequence, payload: payload))
        live.insert(sequence)
        siftUp(heap.count - 1)
        return sequence
    }

    /// Cancels a timer that has not fired; nothing for one that has.
    mutating func cancel(_ sequence: UInt64) {
        guard live.remove(sequence) != nil else { return }
        dropCancelledTop()
    }

    /// The earliest deadline of a timer that will fire.
    var nextDeadline: UInt64? { heap.first?.deadline }

    /// Takes the earliest timer if it is due at `now`.
    mutating func popDue(now: UInt64) -> Payload? {
        guard let top = heap.first, top.deadline <= now else { return nil }
        removeTop()
        live.remove(top.sequence)
        dropCancelledTop()
        return top.payload
    }

    /// Takes every timer, due or not (the loop is shutting down).
    mutating func removeAll() -> [Payload] {
        let waiting = heap.filter { live.contains($0.sequence) }.sorted(by: Self.precedes)
        heap.removeAll()
        live.removeAll()
        return waiting.map(\.payload)
    }

    private mutating func dropCancelledTop() {
        while let top = heap.first, !live.contains(top.sequence) { removeTop() }
    }

    private mutating func removeTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        siftDown(0)
    }

    private static func precedes(_ a: Entry, _ b: Entry) -> Bool {
        a.deadline < b.deadline || (a.deadline == b.deadline && a.sequence < b.sequence)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.precedes(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var first = parent
            if left < heap.count && Self.precedes(heap[left], heap[first]) { first = left }
            if right < heap.count && Self.precedes(heap[right], heap[first]) { first = right }
            if first == parent { return }
            heap.swapAt(parent, first)
            parent = first
        }
    }
}
