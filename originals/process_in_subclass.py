"""A process type that overrides run(); ten of them, started and joined in
turn. Ported by `local-procs subclass`."""

import multiprocessing


class MyProcess(multiprocessing.Process):
    def run(self):
        print("called run method in %s" % self.name)


if __name__ == "__main__":
    for i in range(10):
        process = MyProcess()
        process.start()
        process.join()
