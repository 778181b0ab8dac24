"""Every JSON-RPC procedure real Kanboard has, by name only (its app/Api/Procedure classes in
today's source; one newer than the measured install is a gap too, the safe side).

The fake answers "Method not found" exactly where Kanboard does. A method Kanboard has but
the fake does not model must not get that answer: the target would be judged (K1, R1) on
an answer no real board gives. Dispatch turns such a call into a harness gap (NotModelled).
"""

from __future__ import annotations

PROCEDURES = frozenset({
    "addColumn", "addGroupMember", "addProjectGroup", "addProjectUser", "addSwimlane",
    "changeColumnPosition", "changeProjectGroupRole", "changeProjectUserRole",
    "changeSwimlanePosition", "closeTask", "createAction", "createCategory", "createComment",
    "createExternalTaskLink", "createGroup", "createLdapUser", "createLink",
    "createMyPrivateProject", "createProject", "createProjectFile", "createSubtask", "createTag",
    "createTask", "createTaskFile", "createTaskLink", "createUser", "disableProject",
    "disableProjectPublicAccess", "disableSwimlane", "disableUser", "downloadProjectFile",
    "downloadTaskFile", "duplicateTaskToProject", "enableProject", "enableProjectPublicAccess",
    "enableSwimlane", "enableUser", "getActions", "getActiveSwimlanes", "getAllCategories",
    "getAllComments", "getAllExternalTaskLinks", "getAllGroups", "getAllLinks",
    "getAllProjectFiles", "getAllProjects", "getAllSubtasks", "getAllSwimlanes", "getAllTags",
    "getAllTaskFiles", "getAllTaskLinks", "getAllTasks", "getAllUsers", "getApplicationRoles",
    "getAssignableUsers", "getAvailableActionEvents", "getAvailableActions", "getBoard",
    "getCategory", "getColorList", "getColumn", "getColumns", "getComment",
    "getCompatibleActionEvents", "getDefaultTaskColor", "getDefaultTaskColors",
    "getExternalTaskLinkById", "getExternalTaskLinkProviderDependencies",
    "getExternalTaskLinkTypes", "getGroup", "getGroupMembers", "getLinkById", "getLinkByLabel",
    "getMe", "getMemberGroups", "getMyActivityStream", "getMyDashboard", "getMyOverdueTasks",
    "getMyProjects", "getMyProjectsList", "getOppositeLinkId", "getOverdueTasks",
    "getOverdueTasksByProject", "getProjectActivities", "getProjectActivity", "getProjectByEmail",
    "getProjectById", "getProjectByIdentifier", "getProjectByName", "getProjectFile",
    "getProjectMetadata", "getProjectMetadataByName", "getProjectRoles", "getProjectUserRole",
    "getProjectUsers", "getSubtask", "getSubtaskTimeSpent", "getSwimlane", "getSwimlaneById",
    "getSwimlaneByName", "getTagsByProject", "getTask", "getTaskByReference", "getTaskFile",
    "getTaskLinkById", "getTaskMetadata", "getTaskMetadataByName", "getTaskTags", "getTimezone",
    "getUser", "getUserByName", "getVersion", "hasSubtaskTimer", "isActiveUser", "isGroupMember",
    "moveTaskPosition", "moveTaskToProject", "openTask", "removeAction", "removeAllProjectFiles",
    "removeAllTaskFiles", "removeCategory", "removeColumn", "removeComment",
    "removeExternalTaskLink", "removeGroup", "removeGroupMember", "removeLink", "removeProject",
    "removeProjectFile", "removeProjectGroup", "removeProjectMetadata", "removeProjectUser",
    "removeSubtask", "removeSwimlane", "removeTag", "removeTask", "removeTaskFile",
    "removeTaskLink", "removeTaskMetadata", "removeUser", "saveProjectMetadata",
    "saveTaskMetadata", "searchTasks", "setSubtaskEndTime", "setSubtaskStartTime", "setTaskTags",
    "updateCategory", "updateColumn", "updateComment", "updateExternalTaskLink", "updateGroup",
    "updateLink", "updateProject", "updateSubtask", "updateSwimlane", "updateTag", "updateTask",
    "updateTaskLink", "updateUser",
})
LOWER = frozenset(name.lower() for name in PROCEDURES)  # PHP method names ignore case


def is_kanboard_method(method: object) -> bool:
    """Real Kanboard has a procedure of this name."""
    return isinstance(method, str) and method.lower() in LOWER
