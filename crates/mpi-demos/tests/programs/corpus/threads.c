/* Correct, 2 ranks, MPI_THREAD_MULTIPLE. On rank 0 a thread waits for
 * rank 1's answer while the main thread computes for 3 s, then sends
 * the question. */
#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int answer = 0;

static void *listen(void *unused) {
    (void)unused;
    MPI_Recv(&answer, 1, MPI_INT, 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return NULL;
}

int main(int argc, char **argv) {
    int rank, provided, question = 6;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    if (provided < MPI_THREAD_MULTIPLE) {
        printf("no MPI_THREAD_MULTIPLE here\n");
        MPI_Finalize();
        return 0;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) {
        pthread_t listener;
        pthread_create(&listener, NULL, listen, NULL);
        sleep(3);
        MPI_Send(&question, 1, MPI_INT, 1, 2, MPI_COMM_WORLD);
        pthread_join(listener, NULL);
        printf("rank 0 got %d\n", answer);
    } else {
        MPI_Recv(&question, 1, MPI_INT, 0, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        question *= 7;
        MPI_Send(&question, 1, MPI_INT, 0, 1, MPI_COMM_WORLD);
    }
    MPI_Finalize();
    return 0;
}
