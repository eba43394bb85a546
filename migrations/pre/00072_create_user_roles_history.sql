-- +goose Up
CREATE TABLE IF NOT EXISTS `user_roles_history` (
  `change_id` INT NOT NULL AUTO_INCREMENT,
  `changed_by` VARCHAR(100) NOT NULL,
  `timestamp` BIGINT NOT NULL,
  `username` VARCHAR(100) NOT NULL,
  `role` VARCHAR(50) NOT NULL,
  `data_version` INT NULL,
  PRIMARY KEY (`change_id`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `user_roles_history`;
