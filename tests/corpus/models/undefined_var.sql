select {{ no_such_variable.attribute }}
