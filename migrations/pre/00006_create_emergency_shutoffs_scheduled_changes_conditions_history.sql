-- +goose Up
CREATE TABLE IF NOT EXISTS `emergency_shutoffs_scheduled_changes_conditions_history` (
  `change_id` INT NOT NULL AUTO_INCREMENT,
  `changed_by` VARCHAR(100) NOT NULL,
  `timestamp` BIGINT NOT NULL,
  `sc_id` INT NOT NULL,
  `when` BIGINT NULL,
  `data_version` INT NULL,
  PRIMARY KEY (`change_id`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `emergency_shutoffs_scheduled_changes_conditions_history`;
