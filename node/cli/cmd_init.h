/* node/cli/cmd_init.h — `sigmesh init` (cmd_init.c). */
#ifndef SIGMESH_CMD_INIT_H
#define SIGMESH_CMD_INIT_H

int cmd_init(int argc, char **argv);

#endif
