/* node/cli/cmd_node.h — commands that talk to a running node (cmd_node.c). */
#ifndef SIGMESH_CMD_NODE_H
#define SIGMESH_CMD_NODE_H

int cmd_submit(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_sight(int argc, char **argv);
int cmd_retract(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_peers(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_fsck(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_stop(int argc, char **argv);

#endif
