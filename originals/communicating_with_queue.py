"""A producer puts 10 random integers into a queue; a consumer takes them out,
slower, and quits as soon as it sees the queue empty, which races with the
producer: items can be left behind. Ported by `local-procs queue`, which
loses none. Adapted for the course: TIME_SCALE, added to the original, scales its sleeps
(0: none), so that the tests run it fast."""

import multiprocessing
import os
import random
import time

SCALE = float(os.environ.get("TIME_SCALE", "1"))


class producer(multiprocessing.Process):
    def __init__(self, queue):
        multiprocessing.Process.__init__(self)
        self.queue = queue

    def run(self):
        for i in range(10):
            item = random.randint(0, 256)
            self.queue.put(item)
            print("Process Producer : item %d appended to queue %s" % (item, self.name))
            time.sleep(1 * SCALE)
            print("The size of queue is %s" % self.queue.qsize())


class consumer(multiprocessing.Process):
    def __init__(self, queue):
        multiprocessing.Process.__init__(self)
        self.queue = queue

    def run(self):
        while True:
            if self.queue.empty():
                print("the queue is empty")
                break
            else:
                time.sleep(2 * SCALE)
                item = self.queue.get()
                print("Process Consumer : item %d popped from by %s \n" % (item, self.name))
                time.sleep(1 * SCALE)


if __name__ == "__main__":
    queue = multiprocessing.Queue()
    process_producer = producer(queue)
    process_consumer = consumer(queue)
    process_producer.start()
    process_consumer.start()
    process_producer.join()
    process_consumer.join()
