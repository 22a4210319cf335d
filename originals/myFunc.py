"""myFunc(i): called from a process, prints its number, then counts to it.
Imported by spawning_processes.py, as the lesson's "namespace" variant does."""


def myFunc(i):
    print("calling myFunc from process n°: %s" % i)
    for j in range(0, i):
        print("output from myFunc is :%s" % j)
